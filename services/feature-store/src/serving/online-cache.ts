import { Injectable } from '@nestjs/common';
import { InjectConfig } from '@flywheel/platform';
import { type FeatureStoreConfig } from '../feature-store.config';
import { type FeatureViewRevision } from '../feature-views/feature-view';
import { type OnlineRecord } from '../materialisation/feature-stores.repository';

/**
 * A read-through cache in front of the online store (PostgreSQL stays the store of record):
 * the current definition of each view, and each entity's latest record (or that it has none),
 * so a read is a hash lookup. Everything cached of a view goes at once when the view changes:
 * when this process applies it, and when a FeaturesMaterialised or FeatureViewApplied event says
 * so. A read that was under way when its view was invalidated does not cache what it read, so
 * once an invalidation is seen, nothing older than it is served. TTLs are not cached: they are
 * checked at each read against the record's event time.
 */
@Injectable()
export class OnlineCache {
  private readonly generations = new Map<string, number>();
  private readonly definitions = new Map<string, FeatureViewRevision>();
  /** By view, generation, revision and entity; `null` remembers that the entity has no record. Oldest first. */
  private readonly records = new Map<string, OnlineRecord | null>();
  private readonly maxEntities: number;

  constructor(@InjectConfig() config: Pick<FeatureStoreConfig, 'ONLINE_CACHE_MAX_ENTITIES'>) {
    this.maxEntities = config.ONLINE_CACHE_MAX_ENTITIES;
  }

  get size(): number {
    return this.records.size;
  }

  /** The current definition of a view, from `load` when it is not cached. */
  async view(name: string, load: () => Promise<FeatureViewRevision>): Promise<FeatureViewRevision> {
    const cached = this.definitions.get(name);
    if (cached) return cached;
    const generation = this.generationOf(name);
    const view = await load();
    if (this.generationOf(name) === generation) this.definitions.set(name, view);
    return view;
  }

  /** The online records of entities of a view; `load` reads those not cached. */
  async read(
    view: FeatureViewRevision,
    entityKeys: readonly string[],
    load: (missing: readonly string[]) => Promise<Map<string, OnlineRecord>>,
  ): Promise<Map<string, OnlineRecord>> {
    const generation = this.generationOf(view.name);
    const prefix = `${view.name}\u0000${generation}\u0000${view.revision}\u0000`;
    const found = new Map<string, OnlineRecord>();
    const missing: string[] = [];
    for (const entityKey of entityKeys) {
      const hit = this.maxEntities > 0 ? this.records.get(prefix + entityKey) : undefined;
      if (hit === undefined) missing.push(entityKey);
      else if (hit !== null) found.set(entityKey, hit);
    }
    if (missing.length === 0) return found;
    const loaded = await load(missing);
    // Invalidated meanwhile: what was read may predate the change, so it is served but not kept.
    const keep = this.maxEntities > 0 && this.generationOf(view.name) === generation;
    for (const entityKey of missing) {
      const record = loaded.get(entityKey) ?? null;
      if (record) found.set(entityKey, record);
      if (keep) this.remember(prefix + entityKey, record);
    }
    return found;
  }

  /**
   * Forgets everything cached of a view. Its entries become unreachable at once (the generation
   * is part of their keys) and leave as the oldest entries do.
   */
  invalidate(name: string): void {
    this.generations.set(name, this.generationOf(name) + 1);
    this.definitions.delete(name);
  }

  private generationOf(name: string): number {
    return this.generations.get(name) ?? 0;
  }

  private remember(key: string, record: OnlineRecord | null): void {
    this.records.delete(key);
    this.records.set(key, record);
    // Oldest out: a Map iterates in insertion order.
    while (this.records.size > this.maxEntities) this.records.delete(this.records.keys().next().value!);
  }
}
