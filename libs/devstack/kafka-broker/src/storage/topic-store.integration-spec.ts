import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCode } from '../protocol/error-codes';
import { buildRecordBatch, readRecords, splitRecordBatches } from './record-batch';
import { TopicStore } from './topic-store';
import { errorCodeOf } from '../testing/error-code-of';

let dataDir: string;
const stores: TopicStore[] = [];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'topic-store-'));
});

afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function open(options: Parameters<typeof TopicStore.open>[1] = {}): TopicStore {
  const store = TopicStore.open(dataDir, options);
  stores.push(store);
  return store;
}

const topicsDir = () => path.join(dataDir, 'topics');

describe('TopicStore', () => {
  it('creates topics with partitions, configs and a stable id, and finds them after a restart', () => {
    let store = open();
    const created = store.create('orders', 3, { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
    expect(created).toMatchObject({ name: 'orders', partitions: 3, configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' } });
    expect(created.topicId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    store.create('audit.log', 1);
    store.partition('orders', 2)?.append(buildRecordBatch([{ value: 'hello' }]), Date.now());

    store.close();
    store = open();
    expect(store.list().map((t) => t.name)).toEqual(['audit.log', 'orders']);
    expect(store.get('orders')).toEqual(created);
    expect(store.partition('orders', 2)?.logEndOffset).toBe(1);
    const [b] = splitRecordBatches(store.partition('orders', 2)?.read(0, 1000) as Buffer);
    expect(readRecords(b)[0].value?.toString()).toBe('hello');
    expect(store.partition('orders', 3)).toBeUndefined();
    expect(store.partition('nope', 0)).toBeUndefined();
  });

  it.each([
    ['', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['.', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['..', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['has space', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['slash/name', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['x'.repeat(250), ErrorCode.INVALID_TOPIC_EXCEPTION],
  ])('rejects the topic name %p', (name, code) => {
    expect(errorCodeOf(() => open().create(name, 1))).toBe(code);
  });

  it('accepts the longest legal name', () => {
    const store = open();
    expect(store.create('a'.repeat(249), 1).name).toHaveLength(249);
  });

  it('rejects bad partition counts, duplicates, colliding names and bad configs', () => {
    const store = open();
    expect(errorCodeOf(() => store.create('t', 0))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(errorCodeOf(() => store.create('t', 1.5))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(errorCodeOf(() => store.create('t', 1, { 'retention.msec': '1' }))).toBe(ErrorCode.INVALID_CONFIG);
    expect(errorCodeOf(() => store.create('t', 1, { 'cleanup.policy': 'forever' }))).toBe(ErrorCode.INVALID_CONFIG);
    store.create('a.b', 1);
    expect(errorCodeOf(() => store.create('a.b', 1))).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    expect(errorCodeOf(() => store.create('a_b', 1))).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(store.list().map((t) => t.name)).toEqual(['a.b']);
    // Failed creations leave nothing behind.
    expect(fs.readdirSync(topicsDir())).toHaveLength(1);
  });

  it('validates without creating', () => {
    const store = open();
    store.validate('fine', 2, { 'retention.ms': '5' });
    expect(store.get('fine')).toBeUndefined();
    expect(errorCodeOf(() => store.validate('fine', 0))).toBe(ErrorCode.INVALID_PARTITIONS);
  });

  it('deletes a topic with its data, and a recreated one starts fresh with a new id', () => {
    let store = open();
    const first = store.create('events', 2);
    store.partition('events', 0)?.append(buildRecordBatch([{ value: 'x' }]), Date.now());
    store.delete('events');
    expect(store.get('events')).toBeUndefined();
    expect(fs.readdirSync(topicsDir())).toHaveLength(0);
    expect(errorCodeOf(() => store.delete('events'))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const second = store.create('events', 1);
    expect(second.topicId).not.toBe(first.topicId);
    expect(store.partition('events', 0)?.logEndOffset).toBe(0);
    store.close();
    store = open();
    expect(store.list()).toEqual([second]);
  });

  it('adds partitions, only ever more of them', () => {
    let store = open();
    store.create('grow', 2);
    expect(errorCodeOf(() => store.addPartitions('grow', 2))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(errorCodeOf(() => store.addPartitions('grow', 1))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(errorCodeOf(() => store.addPartitions('missing', 4))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(store.addPartitions('grow', 5).partitions).toBe(5);
    store.partition('grow', 4)?.append(buildRecordBatch([{ value: 'new' }]), Date.now());
    store.close();
    store = open();
    expect(store.get('grow')?.partitions).toBe(5);
    expect(store.partition('grow', 4)?.logEndOffset).toBe(1);
  });

  it('describes every config with defaults, broker overrides and topic values', () => {
    const store = open({ retentionMs: -1, configDefaults: { 'compression.type': 'zstd' } });
    store.create('described', 1, { 'segment.bytes': '1048576' });
    const configs = new Map(store.describeConfigs('described').map((c) => [c.name, c]));
    expect(configs.get('retention.ms')).toEqual({ name: 'retention.ms', value: '-1', source: 'broker', isDefault: true });
    expect(configs.get('compression.type')).toMatchObject({ value: 'zstd', source: 'broker' });
    expect(configs.get('segment.bytes')).toEqual({ name: 'segment.bytes', value: '1048576', source: 'topic', isDefault: false });
    expect(configs.get('cleanup.policy')).toEqual({ name: 'cleanup.policy', value: 'delete', source: 'default', isDefault: true });
    expect(configs.get('retention.bytes')?.value).toBe('-1');
    expect(errorCodeOf(() => store.describeConfigs('missing'))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('rejects unknown broker-wide defaults', () => {
    expect(errorCodeOf(() => open({ configDefaults: { 'retention.days': '7' } }))).toBe(ErrorCode.INVALID_CONFIG);
  });

  it('applies each topic’s retention settings', () => {
    const store = open();
    store.create('short', 1, { 'segment.bytes': '200', 'retention.ms': '1000' });
    store.create('forever', 1, { 'segment.bytes': '200', 'retention.ms': '-1' });
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 10; i++) {
      for (const topic of ['short', 'forever']) {
        store.partition(topic, 0)?.append(buildRecordBatch([{ value: `v${i}` }], { timestamp: t0 }), t0);
      }
    }
    expect(store.applyRetention(t0 + 5000)).toBeGreaterThan(0);
    expect(store.partition('short', 0)?.segmentCount).toBe(1);
    expect(store.partition('short', 0)?.logStartOffset).toBeGreaterThan(0);
    expect(store.partition('forever', 0)?.logStartOffset).toBe(0);
  });

  it('discards creations, deletions and partition additions that a crash cut short', () => {
    let store = open();
    const kept = store.create('kept', 2);
    store.close();
    // A creation that never wrote its metadata, and a deletion that renamed but did not finish.
    fs.mkdirSync(path.join(topicsDir(), 'half-created', '0'), { recursive: true });
    fs.mkdirSync(path.join(topicsDir(), 'gone.deleted', '0'), { recursive: true });
    // Partitions created by an addPartitions whose metadata write never happened.
    fs.mkdirSync(path.join(topicsDir(), kept.topicId, '2'));
    fs.writeFileSync(path.join(topicsDir(), kept.topicId, 'topic.json.tmp'), '{"trunc');
    store = open();
    expect(store.list()).toEqual([kept]);
    expect(fs.readdirSync(topicsDir())).toEqual([kept.topicId]);
    expect(fs.readdirSync(path.join(topicsDir(), kept.topicId)).sort()).toEqual(['0', '1', 'topic.json']);
  });
});
