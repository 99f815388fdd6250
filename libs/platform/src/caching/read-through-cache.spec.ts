import { ReadThroughCache } from './read-through-cache';

/** A store the test changes; each load answers from a snapshot taken when it starts, and may be held. */
function store() {
  const values = new Map<string, number>();
  const asked: string[][] = [];
  let gate: Promise<void> | null = null;
  const load = async (keys: readonly string[]) => {
    asked.push([...keys]);
    const snapshot = new Map(keys.flatMap((k) => (values.has(k) ? [[k, values.get(k)!] as const] : [])));
    if (gate) await gate;
    return snapshot;
  };
  const hold = () => {
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    return () => {
      gate = null;
      open();
    };
  };
  return { values, asked, load, hold };
}

describe('ReadThroughCache', () => {
  it('loads each key once, remembers absence, and forgets a whole scope on invalidation', async () => {
    const cache = new ReadThroughCache<number>(100);
    const s = store();
    s.values.set('a', 1);
    expect(Object.fromEntries(await cache.read('v', ['a', 'b'], s.load))).toEqual({ a: 1 });
    s.values.set('a', 2);
    s.values.set('b', 3);
    expect(Object.fromEntries(await cache.read('v', ['a', 'b'], s.load))).toEqual({ a: 1 });
    expect(Object.fromEntries(await cache.read('w', ['a'], s.load))).toEqual({ a: 2 });
    cache.invalidate('v');
    expect(Object.fromEntries(await cache.read('v', ['b', 'a'], s.load))).toEqual({ a: 2, b: 3 });
    expect(Object.fromEntries(await cache.read('w', ['a'], s.load))).toEqual({ a: 2 });
    expect(s.asked).toEqual([['a', 'b'], ['a'], ['b', 'a']]);
  });

  it('serves but does not keep what a read saw when its scope was invalidated during the read', async () => {
    const cache = new ReadThroughCache<number>(100);
    const s = store();
    s.values.set('a', 1);
    const release = s.hold();
    const racing = cache.read('v', ['a'], s.load);
    s.values.set('a', 2);
    cache.invalidate('v');
    release();
    expect((await racing).get('a')).toBe(1);
    expect(await cache.get('v', 'a', async () => (await s.load(['a'])).get('a'))).toBe(2);
    expect(await cache.get('v', 'a', async () => -1)).toBe(2);
  });

  it('keeps at most its bound, oldest out, and nothing with a bound of 0', async () => {
    const cache = new ReadThroughCache<number>(2);
    const s = store();
    await cache.read('v', ['a', 'b', 'c'], s.load);
    expect(cache.size).toBe(2);
    await cache.read('v', ['b', 'c'], s.load);
    await cache.read('v', ['a'], s.load);
    expect(s.asked).toEqual([['a', 'b', 'c'], ['a']]);
    const none = new ReadThroughCache<number>(0);
    await none.read('v', ['a'], s.load);
    await none.read('v', ['a'], s.load);
    expect(none.size).toBe(0);
    expect(s.asked).toHaveLength(4);
  });
});
