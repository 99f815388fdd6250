import { Injectable } from '@nestjs/common';
import { InjectConfig, ReadThroughCache } from '@flywheel/platform';
import { type FeatureStoreConfig } from '../feature-store.config';
import { type FeatureViewRevision } from '../feature-views/feature-view';
import { type OnlineRecord } from '../materialisation/feature-stores.repository';

/** Views whose current definition is kept (a definition is small; views are few). */
const MAX_DEFINITIONS = 10_000;

/**
 * The online store's read-through cache (PostgreSQL stays the store of record): the current
 * definition of each view, and each entity's latest record (or that it has none), so a read is a
 * hash lookup. Everything cached of a view goes at once when the view changes: when this process
 * applies it, and when a FeaturesMaterialised or FeatureViewApplied event says so; a read under
 * way at that moment does not keep what it read (see ReadThroughCache). TTLs are not cached: they
 * are checked at each read against the record's event time.
 */
@Injectable()
export class OnlineCache {
  private readonly definitions: ReadThroughCache<FeatureViewRevision>;
  private readonly records: ReadThroughCache<OnlineRecord>;

  constructor(@InjectConfig() config: Pick<FeatureStoreConfig, 'ONLINE_CACHE_MAX_ENTITIES'>) {
    this.records = new ReadThroughCache(config.ONLINE_CACHE_MAX_ENTITIES);
    this.definitions = new ReadThroughCache(config.ONLINE_CACHE_MAX_ENTITIES > 0 ? MAX_DEFINITIONS : 0);
  }

  get size(): number {
    return this.records.size;
  }

  /** The current definition of a view, from `load` (which throws when there is none) when not cached. */
  async view(name: string, load: () => Promise<FeatureViewRevision>): Promise<FeatureViewRevision> {
    return (await this.definitions.get(name, '', load))!;
  }

  /** The online records of entities of a view; `load` reads those not cached. */
  async read(
    view: FeatureViewRevision,
    entityKeys: readonly string[],
    load: (missing: readonly string[]) => Promise<Map<string, OnlineRecord>>,
  ): Promise<Map<string, OnlineRecord>> {
    // A revision's records are its own: the key says which.
    const prefix = `${view.revision}\u0000`;
    const found = await this.records.read(
      view.name,
      entityKeys.map((k) => prefix + k),
      async (missing) => {
        const loaded = await load(missing.map((k) => k.slice(prefix.length)));
        return new Map([...loaded].map(([k, record]) => [prefix + k, record]));
      },
    );
    return new Map([...found].map(([k, record]) => [k.slice(prefix.length), record]));
  }

  invalidate(name: string): void {
    this.definitions.invalidate(name);
    this.records.invalidate(name);
  }
}
