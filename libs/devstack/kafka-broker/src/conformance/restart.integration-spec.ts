import { rmSync } from 'node:fs';
import { type Kafka } from 'kafkajs';
import { freePort, eventually } from '@flywheel/test-kit';
import { spawnBrokerProcess, temporaryDataDir, type BrokerProcess } from '../testing';
import { CONFORMANCE_CREDENTIAL, writeConformanceUsersFile } from './conformance-broker';
import { collect, kafkaClient } from './kafkajs-helpers';

jest.setTimeout(180_000);

let dataDir: string;
/** Outside the data folder: the broker owns that one. */
let usersDir: string;
let port: number;
let running: BrokerProcess | undefined;

beforeEach(async () => {
  dataDir = temporaryDataDir();
  usersDir = temporaryDataDir('flywheel-kafka-users-');
  port = await freePort();
});

afterEach(async () => {
  running?.child.kill('SIGKILL');
  if (running) await running.exited;
  running = undefined;
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(usersDir, { recursive: true, force: true });
});

/** `npm run broker` as deployed: every client logs in (--users-file), here as the conformance user. */
async function start(): Promise<Kafka> {
  running = await spawnBrokerProcess(port, dataDir, ['--users-file', writeConformanceUsersFile(usersDir)]);
  return kafkaClient(running.address, 'conformance', CONFORMANCE_CREDENTIAL);
}

async function kill9(): Promise<void> {
  running!.child.kill('SIGKILL');
  expect(await running!.exited).toBe('SIGKILL');
  running = undefined;
}

async function highWatermarks(kafka: Kafka, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

describe('broker restart', () => {
  it('keeps every message and committed offset across kill -9, and the group resumes where it committed', async () => {
    const topic = 'orders';
    const groupId = 'billing';
    let kafka = await start();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const total = 3000;
    for (let i = 0; i < total; i += 500) {
      await producer.send({ topic, messages: Array.from({ length: 500 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })) });
    }
    await producer.disconnect();
    const before = await highWatermarks(kafka, topic);
    expect(Object.values(before).reduce((s, h) => s + Number(h), 0)).toBe(total);

    // Commit half of each partition through a real group member.
    const consumer = kafka.consumer({ groupId, heartbeatInterval: 300 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const committed: Record<number, number> = {};
    for (const [partition, high] of Object.entries(before)) committed[Number(partition)] = Math.floor(Number(high) / 2);
    let assigned = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (assigned = true));
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await eventually(() => assigned);
    await consumer.commitOffsets(Object.entries(committed).map(([p, o]) => ({ topic, partition: Number(p), offset: String(o) })));
    await consumer.disconnect();

    await kill9();
    kafka = await start();

    expect(await highWatermarks(kafka, topic)).toEqual(before);
    const resumed = kafka.consumer({ groupId, heartbeatInterval: 300 });
    await resumed.connect();
    await resumed.subscribe({ topic, fromBeginning: true });
    const remaining = total - Object.values(committed).reduce((s, o) => s + o, 0);
    const received = await collect(resumed, remaining);
    await resumed.disconnect();
    expect(received).toHaveLength(remaining);
    for (const [partition, offset] of Object.entries(committed)) {
      const first = Math.min(...received.filter((m) => m.partition === Number(partition)).map((m) => m.offset));
      expect(first).toBe(offset);
    }

    // New messages continue the offsets; none is reused.
    const after = kafka.producer();
    await after.connect();
    const [result] = await after.send({ topic, messages: [{ value: 'after restart', partition: 0 }] });
    await after.disconnect();
    expect(result.baseOffset).toBe(before[0]);
  });

  it('loses no acknowledged batch when killed in the middle of a produce stream', async () => {
    const topic = 'stream';
    let kafka = await start();
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    let acknowledged = 0;
    const sending = (async () => {
      for (let i = 0; i < 10_000; i++) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: 50 }, (_, j) => ({ value: `m${i * 50 + j}` })) });
        acknowledged = (i + 1) * 50;
      }
    })().catch(() => undefined);
    await eventually(() => acknowledged >= 2000, 60_000, 5);
    await kill9();
    await sending;
    await producer.disconnect().catch(() => undefined);
    const acked = acknowledged;

    kafka = await start();
    const high = Number((await highWatermarks(kafka, topic))[0]);
    // Everything acknowledged is there; a batch written but not yet acknowledged may be too.
    expect(high).toBeGreaterThanOrEqual(acked);
    expect(high).toBeLessThanOrEqual(acked + 50);
    const consumer = kafka.consumer({ groupId: 'check', heartbeatInterval: 300 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await collect(consumer, high);
    await consumer.disconnect();
    expect(received.map((m) => m.value!.toString())).toEqual(Array.from({ length: high }, (_, i) => `m${i}`));
  });

  it('stops cleanly on SIGTERM and starts again on the same data', async () => {
    const topic = 'clean';
    let kafka = await start();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'one' }, { value: 'two' }] });
    await producer.disconnect();
    running!.child.kill('SIGTERM');
    expect(await running!.exited).toBe(0);
    running = undefined;

    kafka = await start();
    expect(await highWatermarks(kafka, topic)).toEqual({ 0: '2' });
  });
});
