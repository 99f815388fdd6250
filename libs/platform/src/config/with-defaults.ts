/**
 * Options over their defaults, where a key present with the value `undefined` keeps the default.
 * A plain spread (`{ ...defaults, ...options }`) lets `{ pollIntervalMs: options.relay?.pollIntervalMs }`
 * replace a default with `undefined` — a `setTimeout(…, undefined)` that fires every millisecond.
 * Every options merge in Flywheel goes through this function.
 */
export function withDefaults<T extends object>(defaults: T, ...overrides: ReadonlyArray<Partial<T> | undefined>): T {
  const merged = { ...defaults } as Record<string, unknown>;
  for (const override of overrides) {
    if (!override) continue;
    for (const [key, value] of Object.entries(override)) if (value !== undefined) merged[key] = value;
  }
  return merged as T;
}
