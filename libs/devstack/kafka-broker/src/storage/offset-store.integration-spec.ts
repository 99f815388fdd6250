import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileOffsetStore, type FileOffsetStoreOptions } from './offset-store';

let dir: string;
let file: string;
const stores: FileOffsetStore[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offset-store-'));
  file = path.join(dir, 'offsets', 'journal');
});

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(options: FileOffsetStoreOptions = {}): FileOffsetStore {
  const store = FileOffsetStore.open(file, options);
  stores.push(store);
  return store;
}

function reopen(store: FileOffsetStore, options: FileOffsetStoreOptions = {}): FileOffsetStore {
  store.close();
  return open(options);
}

describe('FileOffsetStore', () => {
  it('stores commits per group, topic and partition', () => {
    const store = open();
    expect(store.fetch('g', 't', 0)).toBeUndefined();
    store.commit(
      'g',
      [
        { topic: 't', partition: 0, offset: 5, metadata: null },
        { topic: 't', partition: 1, offset: 9, metadata: 'm' },
      ],
      100,
    );
    store.commit('g', [{ topic: 't', partition: 0, offset: 7, metadata: 'again' }], 200);
    store.commit('h', [{ topic: 'u', partition: 3, offset: 1, metadata: null }], 300);
    expect(store.fetch('g', 't', 0)).toEqual({ offset: 7, metadata: 'again', commitTimestamp: 200 });
    expect(store.listForGroup('g')).toEqual([
      { topic: 't', partition: 0, offset: 7, metadata: 'again', commitTimestamp: 200 },
      { topic: 't', partition: 1, offset: 9, metadata: 'm', commitTimestamp: 100 },
    ]);
    expect(store.groups().sort()).toEqual(['g', 'h']);
    expect(store.listForGroup('nobody')).toEqual([]);
  });

  it('has every commit in the file by the time commit returns, and replays it on open', () => {
    let store = open();
    store.commit('g', [{ topic: 't', partition: 0, offset: 5, metadata: null }], 100);
    // Read by a second instance without closing the first: nothing waits in a buffer.
    const peek = FileOffsetStore.open(file);
    expect(peek.fetch('g', 't', 0)?.offset).toBe(5);
    peek.close();
    store.commit('g', [{ topic: 't', partition: 1, offset: 6, metadata: 'x' }], 110);
    store = reopen(store);
    expect(store.listForGroup('g').map((e) => [e.partition, e.offset, e.metadata, e.commitTimestamp])).toEqual([
      [0, 5, null, 100],
      [1, 6, 'x', 110],
    ]);
  });

  it('deletes groups and topics durably', () => {
    let store = open();
    store.commit(
      'g',
      [
        { topic: 't', partition: 0, offset: 1, metadata: null },
        { topic: 'u', partition: 0, offset: 2, metadata: null },
      ],
      1,
    );
    store.commit('h', [{ topic: 't', partition: 0, offset: 3, metadata: null }], 1);
    store.commit('k', [{ topic: 'x', partition: 0, offset: 4, metadata: null }], 1);
    store.deleteTopic('t');
    store.deleteGroup('k');
    const check = (s: FileOffsetStore) => {
      expect(s.groups()).toEqual(['g']);
      expect(s.fetch('g', 't', 0)).toBeUndefined();
      expect(s.fetch('g', 'u', 0)?.offset).toBe(2);
    };
    check(store);
    store = reopen(store);
    check(store);
  });

  it('ignores a torn last entry and keeps appending after it', () => {
    let store = open();
    store.commit('g', [{ topic: 't', partition: 0, offset: 1, metadata: null }], 1);
    store.close();
    fs.appendFileSync(file, '{"c":"g","t":2,"o":[["t",0,99');
    store = open();
    expect(store.fetch('g', 't', 0)?.offset).toBe(1);
    store.commit('g', [{ topic: 't', partition: 1, offset: 2, metadata: null }], 3);
    store = reopen(store);
    expect(store.fetch('g', 't', 0)?.offset).toBe(1);
    expect(store.fetch('g', 't', 1)?.offset).toBe(2);
  });

  it('compacts a journal that has grown far beyond its live entries, on open and while running', () => {
    const options = { compactAfterEntries: 100 };
    let store = open(options);
    for (let i = 0; i < 99; i++) store.commit('g', [{ topic: 't', partition: i % 3, offset: i, metadata: null }], i);
    expect(store.journalStats).toEqual({ journalEntries: 99, liveEntries: 3 });
    const grown = fs.statSync(file).size;
    store.commit('g', [{ topic: 't', partition: 0, offset: 1000, metadata: 'last' }], 1000);
    expect(store.journalStats).toEqual({ journalEntries: 3, liveEntries: 3 });
    expect(fs.statSync(file).size).toBeLessThan(grown / 10);
    store = reopen(store, options);
    expect(store.fetch('g', 't', 0)).toEqual({ offset: 1000, metadata: 'last', commitTimestamp: 1000 });
    expect(store.fetch('g', 't', 2)).toEqual({ offset: 98, metadata: null, commitTimestamp: 98 });

    // A journal written with a higher threshold is compacted when opened with a lower one.
    store.close();
    store = open({ compactAfterEntries: 1000 });
    for (let i = 0; i < 200; i++) store.commit('h', [{ topic: 'u', partition: 0, offset: i, metadata: null }], i);
    store = reopen(store, options);
    expect(store.journalStats.journalEntries).toBe(store.journalStats.liveEntries);
    expect(store.fetch('h', 'u', 0)?.offset).toBe(199);
    expect(fs.existsSync(file + '.tmp')).toBe(false);
  });
});
