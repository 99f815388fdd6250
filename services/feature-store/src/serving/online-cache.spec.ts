import { type FeatureViewRevision } from '../feature-views/feature-view';
import { type OnlineRecord } from '../materialisation/feature-stores.repository';
import { OnlineCache } from './online-cache';

const view = { name: 'claims', revision: 1 } as FeatureViewRevision;
const record = (entityKey: string, amount: number): OnlineRecord => ({ entityKey, eventTime: new Date(0), values: { amount } });

/** The online store as a map the test changes, counting the keys each read asks for. */
class Store {
  readonly rows = new Map<string, OnlineRecord>();
  readonly asked: string[][] = [];
  /** While set, a read waits for this before answering (a read racing a materialisation). */
  gate: Promise<void> | null = null;

  load = async (keys: readonly string[]): Promise<Map<string, OnlineRecord>> => {
    this.asked.push([...keys]);
    // The snapshot is taken when the read starts, as a query's is.
    const snapshot = new Map(keys.flatMap((k) => (this.rows.has(k) ? [[k, this.rows.get(k)!] as const] : [])));
    if (this.gate) await this.gate;
    return snapshot;
  };
}

const amounts = (found: Map<string, OnlineRecord>) => Object.fromEntries([...found].map(([k, r]) => [k, r.values.amount]));

describe('OnlineCache', () => {
  it('reads each entity from the store once, then from memory, remembering entities with no record too', async () => {
    const cache = new OnlineCache({ ONLINE_CACHE_MAX_ENTITIES: 100 });
    const store = new Store();
    store.rows.set('alice', record('alice', 1));
    expect(amounts(await cache.read(view, ['alice', 'bob'], store.load))).toEqual({ alice: 1 });
    expect(amounts(await cache.read(view, ['bob', 'alice'], store.load))).toEqual({ alice: 1 });
    expect(amounts(await cache.read(view, ['alice', 'carol'], store.load))).toEqual({ alice: 1 });
    expect(store.asked).toEqual([['alice', 'bob'], ['carol']]);
  });

  it('serves what the store holds after an invalidation: new values, and entities that appeared', async () => {
    const cache = new OnlineCache({ ONLINE_CACHE_MAX_ENTITIES: 100 });
    const store = new Store();
    store.rows.set('alice', record('alice', 1));
    await cache.read(view, ['alice', 'bob'], store.load);
    store.rows.set('alice', record('alice', 2));
    store.rows.set('bob', record('bob', 7));
    // Until the change is seen, the cache answers from memory.
    expect(amounts(await cache.read(view, ['alice', 'bob'], store.load))).toEqual({ alice: 1 });
    cache.invalidate('claims');
    expect(amounts(await cache.read(view, ['alice', 'bob'], store.load))).toEqual({ alice: 2, bob: 7 });
  });

  it('does not keep what a read saw before an invalidation that happened while it was under way', async () => {
    const cache = new OnlineCache({ ONLINE_CACHE_MAX_ENTITIES: 100 });
    const store = new Store();
    store.rows.set('alice', record('alice', 1));
    let open!: () => void;
    store.gate = new Promise((resolve) => (open = resolve));
    const racing = cache.read(view, ['alice'], store.load);
    // The materialisation commits and its event is seen while the read is in flight.
    store.rows.set('alice', record('alice', 2));
    cache.invalidate('claims');
    open();
    store.gate = null;
    expect(amounts(await racing)).toEqual({ alice: 1 });
    expect(amounts(await cache.read(view, ['alice'], store.load))).toEqual({ alice: 2 });
    expect(store.asked).toEqual([['alice'], ['alice']]);
  });

  it('invalidates one view only, and re-reads its definition', async () => {
    const cache = new OnlineCache({ ONLINE_CACHE_MAX_ENTITIES: 100 });
    const store = new Store();
    const other = { name: 'payments', revision: 3 } as FeatureViewRevision;
    await cache.read(view, ['alice'], store.load);
    await cache.read(other, ['alice'], store.load);
    let loads = 0;
    const definition = () => Promise.resolve({ ...view, revision: ++loads });
    expect((await cache.view('claims', definition)).revision).toBe(1);
    expect((await cache.view('claims', definition)).revision).toBe(1);
    cache.invalidate('claims');
    expect((await cache.view('claims', definition)).revision).toBe(2);
    await cache.read(view, ['alice'], store.load);
    await cache.read(other, ['alice'], store.load);
    expect(store.asked).toHaveLength(3);
  });

  it('holds at most its bound, oldest out; with a bound of 0 it reads the store every time', async () => {
    const cache = new OnlineCache({ ONLINE_CACHE_MAX_ENTITIES: 3 });
    const store = new Store();
    await cache.read(view, ['a', 'b', 'c', 'd'], store.load);
    expect(cache.size).toBe(3);
    await cache.read(view, ['b', 'c', 'd'], store.load);
    await cache.read(view, ['a'], store.load);
    expect(store.asked).toEqual([['a', 'b', 'c', 'd'], ['a']]);

    const uncached = new OnlineCache({ ONLINE_CACHE_MAX_ENTITIES: 0 });
    await uncached.read(view, ['a'], store.load);
    await uncached.read(view, ['a'], store.load);
    expect(uncached.size).toBe(0);
    expect(store.asked).toHaveLength(4);
  });
});
