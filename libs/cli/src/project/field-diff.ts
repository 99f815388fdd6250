/** An object flattened to `field → value as text`: `contract.columns[amount].type → double`. */
export type FlatFields = ReadonlyMap<string, string>;

/** One field that differs; `from` undefined when the platform does not have it, `to` when the project drops it. */
export interface FieldChange {
  readonly field: string;
  readonly from?: string;
  readonly to?: string;
}

/**
 * Flattens a definition or a shape. Lists of objects with a `name` (or a `feature`) are keyed
 * by it, so a reordered or inserted column reads as what it is, plus one entry listing the
 * names in order; other lists are one value. Unset, empty text and empty lists are left out.
 */
export function flatten(value: unknown, prefix = '', into = new Map<string, string>()): Map<string, string> {
  if (value === undefined || value === null || value === '') return into;
  if (Array.isArray(value)) {
    if (value.length === 0) return into;
    const keys = value.map(elementKey);
    if (keys.every((k) => k !== undefined)) {
      into.set(prefix, keys.join(', '));
      // The key names the element; it is not repeated as one of its fields.
      value.forEach((element, i) => {
        const fields = { ...(element as Record<string, unknown>) };
        delete fields[typeof fields.name === 'string' ? 'name' : 'feature'];
        flatten(fields, `${prefix}[${keys[i]}]`, into);
      });
    } else into.set(prefix, `[${value.map(scalarText).join(', ')}]`);
    return into;
  }
  if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
    return into;
  }
  into.set(prefix, scalarText(value));
  return into;
}

function elementKey(element: unknown): string | undefined {
  if (typeof element !== 'object' || element === null) return undefined;
  const key = (element as { name?: unknown; feature?: unknown }).name ?? (element as { feature?: unknown }).feature;
  return typeof key === 'string' ? key : undefined;
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return /^[\w./:-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number') return String(+value.toPrecision(15));
  return String(value);
}

/**
 * Fields of `desired` that `current` does not match. With `fields`, only those are compared (a
 * project manages the fields it writes and leaves the rest to the platform); without, every
 * field of either side is.
 */
export function diffFields(desired: FlatFields, current: FlatFields, fields?: Iterable<string>): FieldChange[] {
  const compared = fields ? [...fields] : [...new Set([...current.keys(), ...desired.keys()])];
  return compared
    .filter((field) => desired.get(field) !== current.get(field))
    .map((field) => ({ field, from: current.get(field), to: desired.get(field) }));
}
