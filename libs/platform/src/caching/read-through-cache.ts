/**
 * A bounded read-through cache of keyed values grouped in scopes (a feature view, say), for data
 * whose store of record tells when a scope changed: `invalidate(scope)` forgets the whole scope
 * at once. A read that was under way when its scope was invalidated does not keep what it read
 * (it may predate the change), so once an invalidation has been seen, nothing older than it is
 * served. Absence is remembered too (a key the store has no value for), until the scope is
 * invalidated. Oldest entries leave first when the bound is reached; a bound of 0 caches nothing.
 */
export class ReadThroughCache<V> {
  private readonly generations = new Map<string, number>();
  /** By scope, generation and key; `null` remembers that the store has no value. Oldest first. */
  private readonly entries = new Map<string, V | null>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The values of `keys` in `scope` (keys without one are left out); `load` reads those not cached. */
  async read(
    scope: string,
    keys: readonly string[],
    load: (missing: readonly string[]) => Promise<Map<string, V>>,
  ): Promise<Map<string, V>> {
    const generation = this.generationOf(scope);
    // The generation is part of the key: an invalidation makes every older entry unreachable at once.
    const prefix = `${scope}\u0000${generation}\u0000`;
    const found = new Map<string, V>();
    const missing: string[] = [];
    for (const key of keys) {
      const hit = this.maxEntries > 0 ? this.entries.get(prefix + key) : undefined;
      if (hit === undefined) missing.push(key);
      else if (hit !== null) found.set(key, hit);
    }
    if (missing.length === 0) return found;
    const loaded = await load(missing);
    // Invalidated meanwhile: what was read may predate the change, so it is served but not kept.
    const keep = this.maxEntries > 0 && this.generationOf(scope) === generation;
    for (const key of missing) {
      const value = loaded.get(key);
      if (value !== undefined) found.set(key, value);
      if (keep) this.remember(prefix + key, value ?? null);
    }
    return found;
  }

  /** One key's value, or undefined when the store has none. */
  async get(scope: string, key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const found = await this.read(scope, [key], async () => {
      const value = await load();
      return new Map(value === undefined ? [] : [[key, value]]);
    });
    return found.get(key);
  }

  /** Forgets everything cached of a scope; its entries leave as the oldest do. */
  invalidate(scope: string): void {
    this.generations.set(scope, this.generationOf(scope) + 1);
  }

  private generationOf(scope: string): number {
    return this.generations.get(scope) ?? 0;
  }

  private remember(key: string, value: V | null): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    // Oldest out: a Map iterates in insertion order.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
