import { ApiKey } from '../protocol/api';
import { ErrorCode } from '../protocol/error-codes';
import { type Reader } from '../protocol/reader';
import { type Writer } from '../protocol/writer';
import { buildRecordBatch } from '../storage';
import { type ConformanceBroker, startConformanceBroker } from './conformance-broker';
import { kafkaClient } from './kafkajs-helpers';
import { RawKafkaClient } from './raw-client';
import { scramLogin } from './sasl-login';

// Every raw client logs in first, as real clients do: the bad input then reaches the
// authenticated connection's parsing and limits, not the pre-login gate (whose hostile-input
// tests are in sasl-protocol.integration-spec.ts).
let broker: ConformanceBroker;

beforeAll(async () => {
  broker = await startConformanceBroker({ messageMaxBytes: 64 * 1024, maxRequestBytes: 1024 * 1024 });
});

/** A raw connection that has logged in with the suite's credential. */
async function loggedIn(): Promise<RawKafkaClient> {
  const client = await RawKafkaClient.connect(broker.address);
  const answer = await scramLogin(client, broker.credential.username, broker.credential.password);
  expect(answer.errorCode).toBe(ErrorCode.NONE);
  return client;
}

afterAll(async () => {
  await broker?.stop();
});

function adminClient() {
  return kafkaClient(broker.address, 'conformance', broker.credential).admin();
}

/** The broker still serves a well-behaved client after whatever the test did. */
async function stillServes(): Promise<void> {
  const admin = adminClient();
  await admin.connect();
  try {
    const topic = `alive-${Date.now()}`;
    await admin.createTopics({ topics: [{ topic }] });
    expect(await admin.listTopics()).toContain(topic);
  } finally {
    await admin.disconnect();
  }
}

function produceRequest(topic: string, records: Buffer) {
  return (w: Writer) =>
    w
      .nullableString(null)
      .int16(1)
      .int32(5000)
      .array([0], (w) => w.string(topic).array([0], (w) => w.int32(0).bytes(records)));
}

function readProducePartition(r: Reader) {
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  return { index: r.int32(), errorCode: r.int16(), baseOffset: r.int64() };
}

describe('the broker under bad input', () => {
  it('closes a connection that sends a garbage frame, and keeps serving others', async () => {
    const client = await loggedIn();
    client.sendRaw(Buffer.from([0, 0, 0, 3, 0xde, 0xad, 0xbe]));
    await client.closed;
    await stillServes();
  });

  it('closes a connection that announces a frame over the request size limit', async () => {
    const client = await loggedIn();
    const size = Buffer.alloc(4);
    size.writeInt32BE(512 * 1024 * 1024);
    client.sendRaw(size);
    await client.closed;
    await stillServes();
  });

  it('closes a connection on an unknown api key or an unsupported version', async () => {
    const unknownKey = await loggedIn();
    await expect(unknownKey.request(999, 0, () => undefined)).rejects.toThrow(/closed/);
    const tooNew = await loggedIn();
    await expect(tooNew.request(ApiKey.Fetch, 99, () => undefined)).rejects.toThrow(/closed/);
    await stillServes();
  });

  it('closes a connection whose request body is truncated', async () => {
    const client = await loggedIn();
    await expect(client.request(ApiKey.Produce, 7, (w) => w.nullableString(null).int16(1))).rejects.toThrow(/closed/);
    await stillServes();
  });

  it('answers ApiVersions v3 in the v0 shape with UNSUPPORTED_VERSION and its ranges', async () => {
    const client = await loggedIn();
    const r = await client.request(ApiKey.ApiVersions, 3, () => undefined);
    expect(r.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const keys = r.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
    expect(keys.find((k) => k.key === ApiKey.Produce)).toEqual({ key: ApiKey.Produce, min: 0, max: 7 });
    expect(keys.every((k) => k.min === 0)).toBe(true);
    client.close();
  });

  it('answers CORRUPT_MESSAGE for a batch with a bad CRC and stores nothing', async () => {
    const topic = `crc-${Date.now()}`;
    const admin = adminClient();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }] });
    const batch = buildRecordBatch([{ key: null, value: Buffer.from('payload'), timestamp: Date.now() }]);
    batch[batch.length - 1] ^= 0xff;
    const client = await loggedIn();
    const partition = readProducePartition(await client.request(ApiKey.Produce, 7, produceRequest(topic, batch)));
    expect(partition.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const [offsets] = await admin.fetchTopicOffsets(topic);
    expect(offsets.high).toBe('0');
    client.close();
    await admin.disconnect();
  });

  it('answers MESSAGE_TOO_LARGE for a batch over message.max.bytes on the same connection that then produces fine', async () => {
    const topic = `large-${Date.now()}`;
    const client = await loggedIn();
    // Metadata v4 with auto-creation on.
    await client.request(ApiKey.Metadata, 4, (w) => w.array([topic], (w, t) => w.string(t)).bool(true));
    const big = buildRecordBatch([{ key: null, value: Buffer.alloc(100 * 1024), timestamp: Date.now() }]);
    const rejected = readProducePartition(await client.request(ApiKey.Produce, 7, produceRequest(topic, big)));
    expect(rejected.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    const small = buildRecordBatch([{ key: null, value: Buffer.from('ok'), timestamp: Date.now() }]);
    const accepted = readProducePartition(await client.request(ApiKey.Produce, 7, produceRequest(topic, small)));
    expect(accepted).toEqual({ index: 0, errorCode: ErrorCode.NONE, baseOffset: 0 });
    client.close();
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a produce to a partition that does not exist', async () => {
    const client = await loggedIn();
    const batch = buildRecordBatch([{ key: null, value: Buffer.from('x'), timestamp: Date.now() }]);
    const partition = readProducePartition(await client.request(ApiKey.Produce, 7, produceRequest('no-such-topic', batch)));
    expect(partition.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    client.close();
  });
});
