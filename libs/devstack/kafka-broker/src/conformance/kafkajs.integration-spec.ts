import { eventually } from '@flywheel/test-kit';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CompressionTypes, type Admin, type Consumer, type Kafka } from 'kafkajs';
import { type ConformanceBroker, startConformanceBroker } from './conformance-broker';
import { collect, isContiguousFromZero, kafkaClient, loginEnvironment, offsetsByPartition } from './kafkajs-helpers';

jest.setTimeout(120_000);

let broker: ConformanceBroker;
let kafka: Kafka;
let admin: Admin;
const consumers: Consumer[] = [];
let topicCounter = 0;

/** A fresh topic per test, so tests cannot see each other's records. */
async function newTopic(partitions = 1): Promise<string> {
  const topic = `kafkajs-${++topicCounter}-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  return topic;
}

function consumer(groupId: string, options: { sessionTimeout?: number } = {}): Consumer {
  const c = kafka.consumer({ groupId, sessionTimeout: options.sessionTimeout ?? 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
  consumers.push(c);
  return c;
}

beforeAll(async () => {
  broker = await startConformanceBroker();
  kafka = kafkaClient(broker.address, 'conformance', broker.credential);
  admin = kafka.admin();
  await admin.connect();
});

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch(() => undefined)));
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.stop();
});

describe('kafkajs producer', () => {
  it('produces keyed messages that come back in order with contiguous offsets per partition', async () => {
    const topic = await newTopic(3);
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 17}`, value: `v${i}` }));
    await producer.send({ topic, messages });
    await producer.disconnect();

    const c = consumer(`g-${topic}`);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    const received = await collect(c, 300);

    expect(received).toHaveLength(300);
    for (const offsets of offsetsByPartition(received).values()) expect(isContiguousFromZero(offsets)).toBe(true);
    // One key always lands on one partition, in the order it was sent.
    const byKey = new Map<string, { partitions: Set<number>; values: string[] }>();
    for (const m of received) {
      const entry = byKey.get(m.key!) ?? { partitions: new Set(), values: [] };
      entry.partitions.add(m.partition);
      entry.values.push(m.value!.toString());
      byKey.set(m.key!, entry);
    }
    for (const [key, entry] of byKey) {
      expect(entry.partitions.size).toBe(1);
      const sent = messages.filter((m) => m.key === key).map((m) => m.value);
      expect(entry.values).toEqual(sent);
    }
  });

  it('produces through an idempotent producer without duplicates', async () => {
    const topic = await newTopic(2);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let round = 0; round < 5; round++) {
      await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ key: `${i}`, value: `${round}-${i}` })) });
    }
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((sum, p) => sum + Number(p.high), 0);
    expect(total).toBe(100);
  });

  it('passes gzip-compressed batches through to the consumer', async () => {
    const topic = await newTopic();
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 50 }, (_, i) => `compressible-${'x'.repeat(200)}-${i}`);
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: values.map((value) => ({ value })) });
    await producer.disconnect();

    const c = consumer(`g-${topic}`);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    const received = await collect(c, 50);
    expect(received.map((m) => m.value!.toString())).toEqual(values);
  });

  it('keeps record headers', async () => {
    const topic = await newTopic();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ value: 'with headers', headers: { ce_type: 'flywheel.test.v1.Thing', traceparent: '00-abc-def-01' } }],
    });
    await producer.disconnect();
    const c = consumer(`g-${topic}`);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    const [message] = await collect(c, 1);
    expect(message.headers).toEqual({ ce_type: 'flywheel.test.v1.Thing', traceparent: '00-abc-def-01' });
  });

  it('accepts one send() of 50 000 messages', async () => {
    const topic = await newTopic(4);
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: 50_000 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}` }));
    const result = await producer.send({ topic, messages });
    await producer.disconnect();
    expect(result.every((r) => r.errorCode === 0)).toBe(true);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(50_000);
  });

  it('carries 5 MB messages both ways', async () => {
    const topic = await newTopic();
    const producer = kafka.producer();
    await producer.connect();
    const big = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    await producer.send({ topic, messages: [{ value: big }, { value: big }] });
    await producer.disconnect();
    const c = kafka.consumer({ groupId: `g-${topic}`, maxBytesPerPartition: 1024 * 1024, maxBytes: 1024 * 1024 });
    consumers.push(c);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    const received = await collect(c, 2);
    expect(received).toHaveLength(2);
    for (const m of received) expect(m.value!.equals(big)).toBe(true);
  });

  it('gets MESSAGE_TOO_LARGE for a batch over the topic limit, and the topic still works', async () => {
    const topic = `too-large-${Date.now()}`;
    await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] });
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    await expect(producer.send({ topic, messages: [{ value: Buffer.alloc(5000) }] })).rejects.toThrow(/larger than|too large/i);
    await producer.send({ topic, messages: [{ value: 'small' }] });
    await producer.disconnect();
    const [partition] = await admin.fetchTopicOffsets(topic);
    expect(partition.high).toBe('1');
  });
});

describe('kafkajs consumer', () => {
  async function produce(topic: string, count: number, partition?: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `m${i}`, partition })) });
    await producer.disconnect();
  }

  it('reads from the beginning or only new messages', async () => {
    const topic = await newTopic();
    await produce(topic, 10);
    const fromStart = consumer(`g1-${topic}`);
    await fromStart.connect();
    await fromStart.subscribe({ topic, fromBeginning: true });
    expect(await collect(fromStart, 10)).toHaveLength(10);

    const latest = consumer(`g2-${topic}`);
    let joined = false;
    latest.on(latest.events.GROUP_JOIN, () => (joined = true));
    await latest.connect();
    await latest.subscribe({ topic, fromBeginning: false });
    const received = collect(latest, 3);
    await eventually(() => joined);
    // The first fetch sets the position at the log end; give it a moment before producing.
    await new Promise((r) => setTimeout(r, 500));
    await produce(topic, 3);
    const got = await received;
    expect(got.map((m) => m.offset)).toEqual([10, 11, 12]);
  });

  it('seeks to an offset', async () => {
    const topic = await newTopic();
    await produce(topic, 20);
    const c = consumer(`g-${topic}`);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    const seen: number[] = [];
    let seeked = false;
    await c.run({
      eachMessage: async ({ message }) => {
        seen.push(Number(message.offset));
        if (!seeked && Number(message.offset) === 5) {
          seeked = true;
          c.seek({ topic, partition: 0, offset: '15' });
        }
      },
    });
    await eventually(() => seen.includes(19));
    expect(seen.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.slice(-5)).toEqual([15, 16, 17, 18, 19]);
    expect(seen).not.toContain(10);
  });

  it('pauses and resumes a topic', async () => {
    const topic = await newTopic();
    await produce(topic, 5);
    const c = consumer(`g-${topic}`);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    const seen: number[] = [];
    await c.run({ eachMessage: async ({ message }) => void seen.push(Number(message.offset)) });
    await eventually(() => seen.length === 5);
    c.pause([{ topic }]);
    await new Promise((r) => setTimeout(r, 300));
    await produce(topic, 5);
    await new Promise((r) => setTimeout(r, 1000));
    expect(seen).toHaveLength(5);
    c.resume([{ topic }]);
    expect(await eventually(() => seen.length === 10)).toBe(true);
  });
});

describe('kafkajs consumer groups', () => {
  type Assignments = Map<Consumer, number[]>;

  function track(c: Consumer, topic: string, assignments: Assignments): void {
    c.on(c.events.GROUP_JOIN, (e) => assignments.set(c, (e.payload.memberAssignment[topic] ?? []).slice().sort()));
  }

  function coverage(assignments: Iterable<number[]>): number[] {
    return [...assignments].flat().sort((a, b) => a - b);
  }

  it('spreads six partitions over three members exactly once, and rebalances when one leaves', async () => {
    const topic = await newTopic(6);
    const groupId = `g-${topic}`;
    const assignments: Assignments = new Map();
    const members = [consumer(groupId), consumer(groupId), consumer(groupId)];
    for (const c of members) {
      track(c, topic, assignments);
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async () => undefined });
    }
    const allThree = () =>
      members.every((c) => (assignments.get(c)?.length ?? 0) > 0) &&
      coverage(members.map((c) => assignments.get(c) ?? [])).join() === '0,1,2,3,4,5';
    expect(await eventually(allThree, 30_000)).toBe(true);
    for (const c of members) expect(assignments.get(c)).toHaveLength(2);

    const leaving = members.pop()!;
    await leaving.disconnect();
    assignments.delete(leaving);
    const twoLeft = () => coverage(members.map((c) => assignments.get(c) ?? [])).join() === '0,1,2,3,4,5';
    expect(await eventually(twoLeft, 30_000)).toBe(true);

    const description = await admin.describeGroups([groupId]);
    expect(description.groups[0].state).toBe('Stable');
    expect(description.groups[0].members).toHaveLength(2);
  });

  it("hands a killed member's partitions to the survivors after its session expires", async () => {
    const topic = await newTopic(6);
    const groupId = `g-${topic}`;
    const assignments: Assignments = new Map();
    const survivors = [consumer(groupId), consumer(groupId)];
    for (const c of survivors) {
      track(c, topic, assignments);
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({ eachMessage: async () => undefined });
    }
    const child = spawn(
      process.execPath,
      ['-r', '@swc-node/register', resolve(__dirname, 'fixtures/kafkajs-group-member.ts'), broker.address, groupId, topic],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...loginEnvironment(broker.credential) } },
    );
    let childAssignment: number[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => (childAssignment = JSON.parse(line).assignment));
    try {
      const three = () =>
        childAssignment.length > 0 &&
        coverage([childAssignment, ...survivors.map((c) => assignments.get(c) ?? [])]).join() === '0,1,2,3,4,5';
      expect(await eventually(three, 60_000)).toBe(true);
      child.kill('SIGKILL');
      const taken = () => coverage(survivors.map((c) => assignments.get(c) ?? [])).join() === '0,1,2,3,4,5';
      expect(await eventually(taken, 60_000)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('commits offsets so that a restarted member resumes after what it processed', async () => {
    const topic = await newTopic();
    await (async () => {
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
      await producer.disconnect();
    })();
    const groupId = `g-${topic}`;
    const first = consumer(groupId);
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    expect(await collect(first, 10)).toHaveLength(10);
    await first.disconnect();

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0].partitions[0].offset).toBe('10');

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'after restart' }] });
    await producer.disconnect();
    const second = consumer(groupId);
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    const received = await collect(second, 1);
    expect(received.map((m) => m.offset)).toEqual([10]);
  });
});

describe('kafkajs admin', () => {
  it('creates, lists and deletes topics', async () => {
    const topic = `admin-${Date.now()}`;
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false);
    expect(await admin.listTopics()).toContain(topic);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(3);
    await admin.deleteTopics({ topics: [topic] });
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it("refuses invalid topics with Kafka's error codes", async () => {
    const creationError = (topic: { topic: string; replicationFactor?: number }) =>
      admin.createTopics({ topics: [topic] }).then(
        () => 'created',
        (error: { errors?: Array<{ type: string }> }) => error.errors?.[0]?.type,
      );
    expect(await creationError({ topic: 'bad/name' })).toBe('INVALID_TOPIC_EXCEPTION');
    expect(await creationError({ topic: `rf-${Date.now()}`, replicationFactor: 3 })).toBe('INVALID_REPLICATION_FACTOR');
  });

  it('adds partitions', async () => {
    const topic = await newTopic(2);
    await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(5);
    await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })).rejects.toThrow();
  });

  it('describes topic and broker configs', async () => {
    const topic = `configs-${Date.now()}`;
    await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: 2, name: topic },
        { type: 4, name: '1' },
      ],
    });
    const topicConfigs = Object.fromEntries(described.resources[0].configEntries.map((c) => [c.configName, c]));
    expect(topicConfigs['retention.ms'].configValue).toBe('3600000');
    expect(topicConfigs['retention.ms'].isDefault).toBe(false);
    expect(topicConfigs['cleanup.policy'].configValue).toBe('delete');
    const brokerConfigs = described.resources[1].configEntries.map((c) => c.configName);
    expect(brokerConfigs).toContain('message.max.bytes');
  });

  it('lists, describes and deletes groups and fetches and resets their offsets', async () => {
    const topic = await newTopic(2);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 8 }, (_, i) => ({ value: `m${i}`, partition: i % 2 })) });
    await producer.disconnect();

    const groupId = `g-${topic}`;
    const c = consumer(groupId);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    expect(await collect(c, 8)).toHaveLength(8);

    const listed = await admin.listGroups();
    expect(listed.groups.map((g) => g.groupId)).toContain(groupId);
    const described = await admin.describeGroups([groupId]);
    expect(described.groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer' });
    expect(described.groups[0].members).toHaveLength(1);

    const fetched = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(fetched[0].partitions.map((p) => p.offset).sort()).toEqual(['4', '4']);

    await c.disconnect();
    consumers.splice(consumers.indexOf(c), 1);
    await expect(admin.describeGroups([groupId])).resolves.toMatchObject({ groups: [{ state: 'Empty' }] });

    // kafkajs resets by committing Kafka's "earliest" sentinel, which the broker keeps as is.
    await admin.resetOffsets({ groupId, topic, earliest: true });
    const reset = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(reset[0].partitions.map((p) => p.offset)).toEqual(['-2', '-2']);

    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '2' },
        { partition: 1, offset: '3' },
      ],
    });
    const set = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(Object.fromEntries(set[0].partitions.map((p) => [p.partition, p.offset]))).toEqual({ 0: '2', 1: '3' });
    // The next member of the group starts where the offsets were set.
    const rejoined = consumer(groupId);
    await rejoined.connect();
    await rejoined.subscribe({ topic });
    const again = await collect(rejoined, 3);
    expect(again.map((m) => `${m.partition}:${m.offset}`).sort()).toEqual(['0:2', '0:3', '1:3']);
    await rejoined.disconnect();
    consumers.splice(consumers.indexOf(rejoined), 1);

    await admin.deleteGroups([groupId]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
  });

  it('finds offsets by timestamp', async () => {
    const topic = await newTopic();
    const producer = kafka.producer();
    await producer.connect();
    const t0 = Date.now() - 100_000;
    await producer.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ value: `m${i}`, timestamp: String(t0 + i * 1000) })) });
    await producer.disconnect();
    const [found] = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 1500);
    expect(found.offset).toBe('2');
    const [latest] = await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() + 60_000);
    expect(latest.offset).toBe('4');
  });
});
