import { assertConfluentKafkaPython, assertKcat, eventually } from '@flywheel/test-kit';
import { DEFAULT_BROKER_CONFIG } from '../broker-config';
import { type ConformanceBroker, startConformanceBroker } from './conformance-broker';
import { KcatGroupMember, killAll, pythonFixture } from './librdkafka-helpers';

// Generous: each step starts a Python interpreter next to the broker on a loaded machine.
jest.setTimeout(180_000);

let broker: ConformanceBroker;
let topicCounter = 0;

function newTopic(prefix: string): string {
  return `${prefix}-${++topicCounter}-${Date.now()}`;
}

beforeAll(async () => {
  assertConfluentKafkaPython();
  assertKcat();
  broker = await startConformanceBroker();
});

afterAll(async () => {
  await killAll();
  await broker?.stop();
});

interface KafkaErrorResult {
  code: number | null;
  name: string;
  message: string;
}
type PerName = Record<string, KafkaErrorResult | null>;

interface TopicListing {
  cluster_id: string;
  controller_id: number;
  brokers: Record<string, { host: string; port: number }>;
  topics: Record<string, { error: string | null; partitions: Array<{ id: number; leader: number; replicas: number[]; isrs: number[] }> }>;
}

interface ConfigListing {
  [resource: string]: {
    error?: KafkaErrorResult;
    configs?: Record<string, { value: string | null; is_default: boolean; is_read_only: boolean; source: number }>;
  };
}

interface ListedGroups {
  groups: Array<{
    id: string;
    error: string | null;
    state: string;
    protocol_type: string;
    protocol: string;
    members: Array<{ id: string; client_id: string }>;
  }>;
}

interface Produced {
  delivered: Array<{ partition: number; offset: number; key: string }>;
  errors: string[];
  undelivered: number;
}

interface ConsumedRun {
  messages: Array<{
    partition: number;
    offset: number;
    key: string | null;
    size: number;
    digest: string;
    headers: Record<string, string>;
    intact: boolean;
  }>;
  errors: string[];
  committed: Array<{ partition: number; offset: number }> | null;
}

const admin = <T>(operation: string, arg?: unknown) =>
  pythonFixture<T>('confluent_admin.py', [broker.address, operation, ...(arg === undefined ? [] : [JSON.stringify(arg)])], {
    credential: broker.credential,
  });

describe('confluent_kafka AdminClient', () => {
  it('creates topics, and refuses a duplicate (TOPIC_ALREADY_EXISTS), an impossible replication factor, bad names and configs', async () => {
    const a = newTopic('admin-a');
    const b = newTopic('admin-b');
    // replication_factor -1 asks for the broker default (CreateTopics v4, KIP-464).
    const created = await admin<PerName>('create_topics', [
      { topic: a, partitions: 3, config: { 'retention.ms': '3600000' } },
      { topic: b, partitions: 2, replication_factor: -1 },
    ]);
    expect(created).toEqual({ [a]: null, [b]: null });

    const again = await admin<PerName>('create_topics', [{ topic: a, partitions: 3 }]);
    expect(again[a]).toMatchObject({ code: 36, name: 'TOPIC_ALREADY_EXISTS' });

    const tooManyReplicas = newTopic('admin-rf');
    const refused = await admin<PerName>('create_topics', [{ topic: tooManyReplicas, partitions: 1, replication_factor: 3 }]);
    expect(refused[tooManyReplicas]).toMatchObject({ code: 38, name: 'INVALID_REPLICATION_FACTOR' });

    const invalid = await admin<PerName>('create_topics', [
      { topic: 'bad/name', partitions: 1 },
      { topic: 'bad-config-value', partitions: 1, config: { 'retention.ms': 'soon' } },
      { topic: 'unknown-config', partitions: 1, config: { 'no.such.config': '1' } },
    ]);
    expect(invalid['bad/name']).toMatchObject({ code: 17, name: 'TOPIC_EXCEPTION' });
    expect(invalid['bad-config-value']).toMatchObject({ code: 40, name: 'INVALID_CONFIG' });
    expect(invalid['unknown-config']).toMatchObject({ code: 40, name: 'INVALID_CONFIG' });

    // validate_only checks the request and creates nothing.
    const dryRun = newTopic('admin-dry-run');
    expect(await admin<PerName>('create_topics', { topics: [{ topic: dryRun, partitions: 3 }], validate_only: true })).toEqual({
      [dryRun]: null,
    });

    const listing = await admin<TopicListing>('list_topics');
    expect(listing.topics[a].partitions.map((p) => p.id)).toEqual([0, 1, 2]);
    expect(listing.topics[b].partitions.map((p) => p.id)).toEqual([0, 1]);
    for (const absent of [tooManyReplicas, 'bad-config-value', 'unknown-config', dryRun]) expect(listing.topics[absent]).toBeUndefined();
  });

  it('lists topics with this broker as the only broker, leader and controller', async () => {
    const topic = newTopic('listed');
    expect(await admin<PerName>('create_topics', [{ topic, partitions: 2 }])).toEqual({ [topic]: null });
    const listing = await admin<TopicListing>('list_topics');
    const [host, port] = broker.address.split(':');
    expect(listing.brokers).toEqual({ '1': { host, port: Number(port) } });
    expect(listing.controller_id).toBe(1);
    expect(listing.cluster_id).toBe(DEFAULT_BROKER_CONFIG.clusterId);
    expect(listing.topics[topic]).toEqual({
      error: null,
      partitions: [
        { id: 0, leader: 1, replicas: [1], isrs: [1] },
        { id: 1, leader: 1, replicas: [1], isrs: [1] },
      ],
    });
  });

  it('adds partitions and refuses to shrink a topic', async () => {
    const topic = newTopic('grow');
    await admin<PerName>('create_topics', [{ topic, partitions: 2 }]);
    expect(await admin<PerName>('create_partitions', { [topic]: 5 })).toEqual({ [topic]: null });
    const listing = await admin<TopicListing>('list_topics');
    expect(listing.topics[topic].partitions.map((p) => p.id)).toEqual([0, 1, 2, 3, 4]);

    const shrink = await admin<PerName>('create_partitions', { [topic]: 3 });
    expect(shrink[topic]).toMatchObject({ code: 37, name: 'INVALID_PARTITIONS' });
    const missing = newTopic('missing');
    const unknown = await admin<PerName>('create_partitions', { [missing]: 3 });
    expect(unknown[missing]).toMatchObject({ code: 3, name: 'UNKNOWN_TOPIC_OR_PART' });
  });

  it('describes topic and broker configs', async () => {
    const topic = newTopic('configs');
    await admin<PerName>('create_topics', [{ topic, partitions: 1, config: { 'retention.ms': '3600000' } }]);
    const described = await admin<ConfigListing>('describe_configs', [
      { type: 'topic', name: topic },
      { type: 'broker', name: '1' },
    ]);
    const topicConfigs = Object.entries(described).find(([key]) => key.endsWith(`:${topic}`))![1];
    expect(topicConfigs.error).toBeUndefined();
    expect(topicConfigs.configs!['retention.ms']).toMatchObject({ value: '3600000', is_default: false });
    expect(topicConfigs.configs!['cleanup.policy']).toMatchObject({ value: 'delete' });
    const brokerConfigs = Object.entries(described).find(([key]) => key.endsWith(':1'))![1];
    expect(brokerConfigs.error).toBeUndefined();
    // startConformanceBroker keeps the 16 MiB default of messageMaxBytes.
    expect(brokerConfigs.configs!['message.max.bytes']).toMatchObject({ value: String(16 * 1024 * 1024) });
    // Without an override a topic's max.message.bytes is the broker's message.max.bytes, as in
    // Kafka: the value described must be the limit that Produce enforces (5 MB messages pass).
    expect(topicConfigs.configs!['max.message.bytes']).toMatchObject({ value: String(16 * 1024 * 1024) });

    const missing = newTopic('no-such-topic');
    const unknown = await admin<ConfigListing>('describe_configs', [{ type: 'topic', name: missing }]);
    expect(Object.values(unknown)[0].error).toMatchObject({ code: 3, name: 'UNKNOWN_TOPIC_OR_PART' });
  });

  it('deletes topics, and reports UNKNOWN_TOPIC_OR_PART for one that is gone', async () => {
    const topic = newTopic('doomed');
    await admin<PerName>('create_topics', [{ topic, partitions: 2 }]);
    expect((await admin<TopicListing>('list_topics')).topics[topic]).toBeDefined();
    expect(await admin<PerName>('delete_topics', [topic])).toEqual({ [topic]: null });
    expect((await admin<TopicListing>('list_topics')).topics[topic]).toBeUndefined();
    const again = await admin<PerName>('delete_topics', [topic]);
    expect(again[topic]).toMatchObject({ code: 3, name: 'UNKNOWN_TOPIC_OR_PART' });
  });

  it('lists and describes consumer groups (list_groups: ListGroups + DescribeGroups)', async () => {
    const topic = newTopic('listed-group');
    await admin<PerName>('create_topics', [{ topic, partitions: 2 }]);
    const group = `g-${topic}`;
    const member = new KcatGroupMember(broker, group, topic);
    try {
      expect(await eventually(() => member.assignment.length === 2, 60_000)).toBe(true);
      const listed = await admin<ListedGroups>('list_groups');
      const described = listed.groups.find((g) => g.id === group);
      expect(described).toMatchObject({ error: null, state: 'Stable', protocol_type: 'consumer' });
      // librdkafka's default assignors are range and roundrobin; the group picks one of them.
      expect(['range', 'roundrobin']).toContain(described!.protocol);
      expect(described!.members).toEqual([expect.objectContaining({ id: member.memberId, client_id: 'rdkafka' })]);
    } finally {
      member.kill('SIGTERM');
      await member.exited;
    }
    // kcat leaves the group on SIGTERM: the group is Empty, without members, but still listed.
    const emptied = async () => {
      const g = (await admin<ListedGroups>('list_groups')).groups.find((x) => x.id === group);
      return g?.state === 'Empty' && g.members.length === 0;
    };
    expect(await eventually(emptied, 30_000, 500)).toBe(true);
  });
});

describe('confluent_kafka Producer and Consumer', () => {
  it('round-trips keyed messages with headers, and a committed offset is read back and resumed from', async () => {
    const topic = newTopic('roundtrip');
    await admin<PerName>('create_topics', [{ topic, partitions: 1 }]);
    const produced = await pythonFixture<Produced>('confluent_clients.py', ['produce', broker.address, topic, '20', '0'], {
      credential: broker.credential,
    });
    expect(produced.errors).toEqual([]);
    expect(produced.undelivered).toBe(0);
    expect(produced.delivered.map((d) => d.offset).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));

    const group = `g-${topic}`;
    const first = await pythonFixture<ConsumedRun>('confluent_clients.py', ['consume', broker.address, topic, group, '20', '12'], {
      credential: broker.credential,
    });
    expect(first.errors).toEqual([]);
    expect(first.messages.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(first.messages.map((m) => m.key)).toEqual(Array.from({ length: 20 }, (_, i) => `key-${i}`));
    expect(first.messages.every((m) => m.intact)).toBe(true);
    expect(first.messages[3].headers).toMatchObject({ index: '3' });
    // Committing the 12th message (offset 11) stores 12: the next offset to read.
    expect(first.committed).toEqual([{ partition: 0, offset: 12 }]);

    const second = await pythonFixture<ConsumedRun>('confluent_clients.py', ['consume', broker.address, topic, group, '8', '0'], {
      credential: broker.credential,
    });
    expect(second.errors).toEqual([]);
    expect(second.messages.map((m) => m.offset)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('carries ~5 MB messages both ways', async () => {
    const topic = newTopic('large-python');
    await admin<PerName>('create_topics', [{ topic, partitions: 1 }]);
    const size = 5 * 1024 * 1024;
    const produced = await pythonFixture<Produced>('confluent_clients.py', ['produce', broker.address, topic, '3', String(size)], {
      credential: broker.credential,
    });
    expect(produced.errors).toEqual([]);
    expect(produced.delivered).toHaveLength(3);
    const consumed = await pythonFixture<ConsumedRun>('confluent_clients.py', ['consume', broker.address, topic, `g-${topic}`, '3', '3'], {
      credential: broker.credential,
    });
    expect(consumed.errors).toEqual([]);
    expect(consumed.messages.map((m) => [m.offset, m.size, m.intact])).toEqual([
      [0, size, true],
      [1, size, true],
      [2, size, true],
    ]);
    expect(consumed.committed).toEqual([{ partition: 0, offset: 3 }]);
  });

  it("finds offsets by timestamp (offsets_for_times) and keeps each record's CreateTime", async () => {
    const topic = newTopic('timestamps');
    await admin<PerName>('create_topics', [{ topic, partitions: 1 }]);
    const base = Date.now() - 60_000;
    const result = await pythonFixture<{
      undelivered: number;
      offsets: Record<string, number>;
      low: number;
      high: number;
      stamps: Array<{ offset: number; type: number; timestamp: number }>;
    }>('confluent_clients.py', ['timestamps', broker.address, topic, '5', String(base)], { credential: broker.credential });
    expect(result.undelivered).toBe(0);
    // The first offset whose timestamp is at or after the one asked for; -1 (end) past the last.
    expect(result.offsets).toEqual({ before_first: 0, first: 0, between_2_and_3: 3, last: 4, after_last: -1 });
    expect([result.low, result.high]).toEqual([0, 5]);
    // confluent_kafka's TIMESTAMP_CREATE_TIME is 1.
    expect(result.stamps).toEqual(Array.from({ length: 5 }, (_, i) => ({ offset: i, type: 1, timestamp: base + i * 1000 })));
  });
});
