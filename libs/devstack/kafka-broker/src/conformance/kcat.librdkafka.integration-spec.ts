import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertKcat, eventually } from '@flywheel/test-kit';
import { type ConformanceBroker, startConformanceBroker } from './conformance-broker';
import {
  CONSUME_FORMAT,
  type Consumed,
  kcat,
  kcatBroker,
  KcatProcess,
  killAll,
  offsetsByPartition,
  parseConsumed,
  runTool,
} from './librdkafka-helpers';

// Generous: a loaded 2-core machine runs kcat, the broker and Jest side by side.
jest.setTimeout(180_000);

/** Topics that kcat's producer auto-creates get this many partitions. */
const PARTITIONS = 4;

let broker: ConformanceBroker;
let scratch: string;
let topicCounter = 0;

/** A fresh topic name per test, so tests cannot see each other's records. */
function newTopic(prefix: string): string {
  return `${prefix}-${++topicCounter}-${Date.now()}`;
}

beforeAll(async () => {
  assertKcat();
  broker = await startConformanceBroker({ defaultPartitions: PARTITIONS });
  scratch = mkdtempSync(join(tmpdir(), 'flywheel-kcat-'));
});

afterAll(async () => {
  await killAll();
  await broker?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Produces `lines` ("key:value" with `-K:`) to `topic`; fails on any delivery error. */
async function produce(topic: string, lines: string[], extraArgs: string[] = []): Promise<string> {
  const result = await kcat([...kcatBroker(broker), '-P', '-t', topic, '-K:', ...extraArgs], {
    input: lines.map((l) => `${l}\n`).join(''),
    timeoutMs: 150_000,
  });
  // kcat reports failed deliveries and errors on stderr ("% Delivery failed for message: ...",
  // "% ERROR: ..."); debug lines (-d) are left out of this check.
  expect(result.stderr).not.toMatch(/Delivery failed|% ERROR/i);
  return result.stderr;
}

/**
 * Reads a topic from the beginning to its end (-e) in CONSUME_FORMAT. check.crcs makes
 * librdkafka verify every batch's CRC-32C: the broker rewrites baseOffset, which the CRC must
 * not cover.
 */
async function consumeAll(topic: string, extraArgs: string[] = []): Promise<Consumed[]> {
  const result = await kcat(
    [...kcatBroker(broker), '-C', '-t', topic, '-o', 'beginning', '-e', '-X', 'check.crcs=true', '-f', CONSUME_FORMAT, ...extraArgs],
    {
      timeoutMs: 150_000,
    },
  );
  // Consumer errors (a failed CRC check among them) are printed as "% ERROR: ..." on stderr.
  expect(result.stderr).not.toContain('% ERROR');
  return parseConsumed(result.stdout);
}

/** Every partition's offsets are 0, 1, 2, ... with no gap and no repeat. */
function expectContiguousFromZero(messages: Consumed[]): void {
  for (const [partition, offsets] of offsetsByPartition(messages)) {
    const firstBad = offsets.findIndex((o, i) => o !== i);
    expect({ partition, firstBad }).toEqual({ partition, firstBad: -1 });
  }
}

/** Every key stays on one partition and its values come back in the order they were sent. */
function expectKeysKeepPartitionAndOrder(messages: Consumed[], sent: Array<{ key: string; value: string }>): void {
  const received = new Map<string, { partitions: Set<number>; values: string[] }>();
  const byPartitionOffset = [...messages].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  for (const m of byPartitionOffset) {
    const entry = received.get(m.key) ?? { partitions: new Set(), values: [] };
    entry.partitions.add(m.partition);
    entry.values.push(m.value);
    received.set(m.key, entry);
  }
  const expected = new Map<string, string[]>();
  for (const s of sent) expected.set(s.key, [...(expected.get(s.key) ?? []), s.value]);
  expect(received.size).toBe(expected.size);
  let keysOnOnePartition = 0;
  let keysInOrder = 0;
  for (const [key, values] of expected) {
    const entry = received.get(key);
    if (entry?.partitions.size === 1) keysOnOnePartition++;
    if (entry && entry.values.join('\n') === values.join('\n')) keysInOrder++;
  }
  expect(keysOnOnePartition).toBe(expected.size);
  expect(keysInOrder).toBe(expected.size);
}

describe('kcat metadata (-L)', () => {
  it('lists topics, partitions and this broker as controller', async () => {
    const topic = newTopic('metadata');
    await produce(topic, ['k:v']);

    const json = JSON.parse((await kcat([...kcatBroker(broker), '-L', '-J'], { timeoutMs: 30_000 })).stdout) as {
      controllerid: number;
      brokers: Array<{ id: number; name: string }>;
      topics: Array<{
        topic: string;
        partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }>;
      }>;
    };
    expect(json.brokers).toEqual([{ id: 1, name: broker.address }]);
    expect(json.controllerid).toBe(1);
    const listed = json.topics.find((t) => t.topic === topic);
    expect(listed?.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const p of listed!.partitions) {
      expect(p.leader).toBe(1);
      expect(p.replicas).toEqual([{ id: 1 }]);
      expect(p.isrs).toEqual([{ id: 1 }]);
    }

    // The plain-text listing marks the controller, which is how operators read it.
    const text = (await kcat([...kcatBroker(broker), '-L', '-t', topic], { timeoutMs: 30_000 })).stdout;
    expect(text).toContain(`broker 1 at ${broker.address} (controller)`);
    expect(text).toContain(`topic "${topic}" with ${PARTITIONS} partitions:`);
  });

  it('creates a topic on a metadata request only when the client allows it', async () => {
    const refused = newTopic('not-created');
    const listed = await kcat([...kcatBroker(broker), '-L', '-t', refused, '-X', 'allow.auto.create.topics=false'], { timeoutMs: 30_000 });
    expect(listed.stdout).toContain(`topic "${refused}" with 0 partitions: Broker: Unknown topic or partition`);
    // librdkafka's consumer never asks for auto-creation (allow.auto.create.topics=false by default).
    const consumed = await runTool('kcat', [...kcatBroker(broker), '-C', '-t', refused, '-e'], { timeoutMs: 30_000 });
    expect(consumed.stderr).toContain(`Topic ${refused} error: Broker: Unknown topic or partition`);
    const all = await kcat([...kcatBroker(broker), '-L'], { timeoutMs: 30_000 });
    expect(all.stdout).not.toContain(refused);

    // A producer's metadata request does ask, and the topic is there at once.
    const created = newTopic('created');
    const producerView = await kcat([...kcatBroker(broker), '-L', '-t', created], { timeoutMs: 30_000 });
    expect(producerView.stdout).toContain(`topic "${created}" with ${PARTITIONS} partitions:`);
  });

  it('lets librdkafka enable MsgVer2, IdempotentProducer and ZSTD (-d feature)', async () => {
    // "feature" logs each "Enabling feature X" decision; the summary line "Updated enabled
    // protocol features to A,B,C" is logged under the "broker" context.
    const { stderr } = await kcat([...kcatBroker(broker), '-L', '-d', 'feature,broker'], { timeoutMs: 30_000 });
    const required = [
      'MsgVer1',
      'MsgVer2',
      'ApiVersion',
      'BrokerGroupCoordinator',
      'BrokerBalancedConsumer',
      'IdempotentProducer',
      'ZSTD',
      'LZ4',
    ];
    const summaries = [...stderr.matchAll(/Updated enabled protocol features to (\S+)/g)].map((m) => m[1].split(','));
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries[summaries.length - 1]).toEqual(expect.arrayContaining(required));
    const enabled = [...stderr.matchAll(/Enabling feature (\S+)/g)].map((m) => m[1]);
    expect(enabled).toEqual(expect.arrayContaining(required));
    for (const feature of ['MsgVer2', 'IdempotentProducer', 'ZSTD']) expect(stderr).not.toContain(`Disabling feature ${feature}`);
  });
});

describe('kcat produce and consume', () => {
  it('carries 100 000 keyed messages, each back exactly once with contiguous offsets per partition', async () => {
    const topic = newTopic('bulk');
    const count = 100_000;
    const sent = Array.from({ length: count }, (_, i) => ({ key: `key-${i % 1000}`, value: `value-${i}` }));
    await produce(
      topic,
      sent.map((s) => `${s.key}:${s.value}`),
    );

    const received = await consumeAll(topic);
    expect(received).toHaveLength(count);
    expect(new Set(received.map((m) => m.value)).size).toBe(count);
    // Keyed messages spread over every partition of the topic.
    expect([...offsetsByPartition(received).keys()].sort()).toEqual([0, 1, 2, 3]);
    expectContiguousFromZero(received);
    expectKeysKeepPartitionAndOrder(received, sent);

    // ListOffsets (latest, via -Q with timestamp -1) agrees with what was read.
    for (const [partition, offsets] of offsetsByPartition(received)) {
      const { stdout } = await kcat([...kcatBroker(broker), '-Q', '-t', `${topic}:${partition}:-1`], { timeoutMs: 30_000 });
      expect(stdout).toMatch(new RegExp(`\\[${partition}\\]\\s+offset ${offsets.length}\\b`));
    }
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('passes %s-compressed batches through intact', async (codec) => {
    const topic = newTopic(`codec-${codec}`);
    // Compressible values, long enough that librdkafka really compresses its batches.
    const sent = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i % 40}`, value: `${codec}-${i}-${'flywheel '.repeat(20)}` }));
    await produce(
      topic,
      sent.map((s) => `${s.key}:${s.value}`),
      ['-z', codec],
    );
    // "-d msg" makes librdkafka log each fetched message set's format and codec
    // ("Enqueue N message(s) ... (..., v2, ..., zstd)"): the batches come back as compressed.
    const consumed = await kcat(
      [...kcatBroker(broker), '-C', '-t', topic, '-o', 'beginning', '-e', '-X', 'check.crcs=true', '-f', CONSUME_FORMAT, '-d', 'msg'],
      {
        timeoutMs: 150_000,
      },
    );
    const codecs = new Set(
      [...consumed.stderr.matchAll(/Enqueue \d+ message\(s\).*, (v\d), .*, (\w+)\)$/gm)].map((m) => `${m[1]} ${m[2]}`),
    );
    expect([...codecs]).toEqual([`v2 ${codec}`]);
    const received = parseConsumed(consumed.stdout);
    expect(received).toHaveLength(sent.length);
    expect(new Set(received.map((m) => m.value))).toEqual(new Set(sent.map((s) => s.value)));
    expectContiguousFromZero(received);
    expectKeysKeepPartitionAndOrder(received, sent);
  });

  it('keeps record headers (-H and %h)', async () => {
    const topic = newTopic('headers');
    await produce(
      topic,
      Array.from({ length: 5 }, (_, i) => `k:with-headers-${i}`),
      ['-H', 'ce_type=flywheel.test.v1.Thing', '-H', 'traceparent=00-abc-def-01'],
    );
    const { stdout } = await kcat([...kcatBroker(broker), '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%h|%s\\n'], {
      timeoutMs: 60_000,
    });
    const lines = stdout.split('\n').filter(Boolean).sort();
    expect(lines).toEqual(
      Array.from({ length: 5 }, (_, i) => `ce_type=flywheel.test.v1.Thing,traceparent=00-abc-def-01|with-headers-${i}`),
    );
  });

  it('reads the last ten of each partition (-o -10)', async () => {
    const topic = newTopic('tail');
    const perPartition = [25, 40, 12, 10];
    for (const [partition, n] of perPartition.entries()) {
      await produce(
        topic,
        Array.from({ length: n }, (_, i) => `k${partition}:p${partition}-m${i}`),
        ['-p', String(partition)],
      );
    }
    const received = await kcat([...kcatBroker(broker), '-C', '-t', topic, '-o', '-10', '-e', '-f', CONSUME_FORMAT], { timeoutMs: 60_000 });
    const byPartition = offsetsByPartition(parseConsumed(received.stdout));
    for (const [partition, n] of perPartition.entries()) {
      expect({ partition, offsets: byPartition.get(partition) }).toEqual({
        partition,
        offsets: Array.from({ length: 10 }, (_, i) => n - 10 + i),
      });
    }
  });

  it('produces through the idempotent producer without duplicates (-X enable.idempotence=true)', async () => {
    const topic = newTopic('idempotent');
    const sent = Array.from({ length: 20_000 }, (_, i) => ({ key: `k${i % 100}`, value: `idem-${i}` }));
    const stderr = await produce(
      topic,
      sent.map((s) => `${s.key}:${s.value}`),
      // Small batches and several in flight: many sequenced Produce requests per partition.
      ['-X', 'enable.idempotence=true', '-X', 'batch.num.messages=500', '-X', 'max.in.flight=5', '-d', 'eos'],
    );
    // The producer got a producer id from InitProducerId (it would refuse to produce otherwise).
    expect(stderr).toMatch(/Acquired PID\{Id:\d+,Epoch:\d+\}/);
    const received = await consumeAll(topic);
    expect(received).toHaveLength(sent.length);
    expect(new Set(received.map((m) => m.value)).size).toBe(sent.length);
    expectContiguousFromZero(received);
    expectKeysKeepPartitionAndOrder(received, sent);
  });
});

describe('kcat produce acknowledgements, limits and long polls', () => {
  it.each(['0', '1', 'all'])('produces with acks=%s', async (acks) => {
    const topic = newTopic(`acks-${acks}`);
    const sent = Array.from({ length: 2000 }, (_, i) => ({ key: `k${i % 10}`, value: `acks-${acks}-${i}` }));
    // acks=0: the broker must send no response at all, or librdkafka misreads the next one.
    await produce(
      topic,
      sent.map((s) => `${s.key}:${s.value}`),
      ['-X', `acks=${acks}`],
    );
    const received = await consumeAll(topic);
    expect(received).toHaveLength(sent.length);
    expectContiguousFromZero(received);
    expectKeysKeepPartitionAndOrder(received, sent);
  });

  it("refuses a message over the broker's message.max.bytes with MSG_SIZE_TOO_LARGE, and keeps serving", async () => {
    const small = await startConformanceBroker({ messageMaxBytes: 100_000 });
    try {
      const topic = newTopic('too-large');
      const path = join(scratch, 'too-large.bin');
      writeFileSync(path, Buffer.alloc(200_000, 'a'));
      // The client's own limit is higher, so the request reaches the broker.
      const refused = await runTool('kcat', [...kcatBroker(small), '-P', '-t', topic, '-p', '0', '-X', 'message.max.bytes=1000000', path], {
        timeoutMs: 60_000,
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('Delivery failed for message: Broker: Message size too large');

      await kcat([...kcatBroker(small), '-P', '-t', topic, '-p', '0'], { input: 'fits\n', timeoutMs: 60_000 });
      const { stdout } = await kcat([...kcatBroker(small), '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o %s\n'], {
        timeoutMs: 60_000,
      });
      expect(stdout).toBe('0 fits\n');
    } finally {
      await small.stop();
    }
  });

  it('answers a waiting fetch as soon as a message arrives, not at fetch.wait.max.ms', async () => {
    const topic = newTopic('long-poll');
    await produce(topic, ['k:first'], ['-p', '0']);
    // A long maximum wait: if the broker held the fetch until then, the message would be late.
    const consumer = new KcatProcess([
      ...kcatBroker(broker),
      '-C',
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      'beginning',
      '-X',
      'fetch.wait.max.ms=20000',
      '-f',
      '%o %s\n',
    ]);
    try {
      expect(await eventually(() => consumer.lines.length === 1, 30_000)).toBe(true);
      // The first fetch after "first" is now parked on the broker.
      await new Promise((r) => setTimeout(r, 500));
      const sentAt = Date.now();
      await produce(topic, ['k:second'], ['-p', '0']);
      expect(await eventually(() => consumer.lines.length === 2, 30_000, 20)).toBe(true);
      // Generous for a loaded machine, still far below the 20 s wait.
      expect(Date.now() - sentAt).toBeLessThan(8000);
      expect(consumer.lines).toEqual(['0 first', '1 second']);
    } finally {
      consumer.kill();
      await consumer.exited;
    }
  });
});

describe('kcat large messages', () => {
  it('carries ~5 MB messages both ways', async () => {
    const topic = newTopic('large');
    const size = 5 * 1024 * 1024;
    // Printable, newline-free, different per file: kcat sends each file argument as one message.
    const files = [0, 1].map((n) => {
      const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = alphabet.charCodeAt((i * 7 + n * 13 + (i >> 10)) % alphabet.length);
      const path = join(scratch, `large-${n}.bin`);
      writeFileSync(path, data);
      return { path, digest: createHash('sha256').update(data).digest('hex') };
    });
    const produced = await kcat(
      [...kcatBroker(broker), '-P', '-t', topic, '-p', '0', '-X', 'message.max.bytes=8388608', ...files.map((f) => f.path)],
      { timeoutMs: 120_000 },
    );
    expect(produced.stderr).not.toMatch(/Delivery failed|% ERROR/i);

    // The consumer keeps librdkafka's 1 MB max.partition.fetch.bytes: the broker must still
    // return each whole 5 MB batch, as Kafka does.
    const sizes = await kcat([...kcatBroker(broker), '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%p %o %S\\n'], {
      timeoutMs: 120_000,
    });
    expect(sizes.stdout.split('\n').filter(Boolean)).toEqual([`0 0 ${size}`, `0 1 ${size}`]);
    const digests: string[] = [];
    for (const offset of [0, 1]) {
      const one = await readValue(topic, offset);
      digests.push(createHash('sha256').update(one).digest('hex'));
    }
    expect(digests).toEqual(files.map((f) => f.digest));
  });

  /** The value at `offset` of partition 0, byte for byte (-f '%s' prints nothing else). */
  async function readValue(topic: string, offset: number): Promise<Buffer> {
    const { stdout } = await kcat(
      [...kcatBroker(broker), '-C', '-t', topic, '-p', '0', '-o', String(offset), '-c', '1', '-f', '%s', '-X', 'fetch.max.bytes=16777216'],
      { timeoutMs: 120_000 },
    );
    return Buffer.from(stdout, 'utf8');
  }
});
