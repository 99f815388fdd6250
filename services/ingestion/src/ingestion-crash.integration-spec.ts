import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { commonV1, GrpcServices, ingestionV1, Topics } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient } from '@flywheel/platform';
import { MinioObjectStore, parseObjectKey } from '@flywheel/storage';
import { type ServiceInfrastructure, startServiceInfrastructure, waitFor } from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';

// 100,000 records through Kafka, with the ingestion service killed twice mid-stream: the
// promise is exactly once for every valid record and a quarantine entry with its reason for
// every bad one, whatever the crashes interrupted.
jest.setTimeout(900_000);

type Client = GrpcClient<ingestionV1.IngestionServiceController>;
const { ColumnType } = commonV1;
const { ViolationCode } = ingestionV1;

const RECORDS = 100_000;
const INTERVAL_MS = 2_000;
const CHUNK = 2_000;

const contract: ingestionV1.DataContract = {
  columns: [
    { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, allowedValues: [], description: '' },
    { name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0, allowedValues: [], description: '' },
    { name: 'note', type: ColumnType.COLUMN_TYPE_STRING, required: false, allowedValues: [], description: '' },
    { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true, allowedValues: [], description: '' },
  ],
  uniqueKey: ['id'],
  eventTimeColumn: 'at',
  maxRecordBytes: 4_096,
  maxValueBytes: 256,
};

const good = (i: number) => ({
  id: `r${i}`,
  amount: i % 1000,
  note: `n${i % 13}`,
  at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
});
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Every kind of bad record a producer can send, with the violation it must be quarantined for. */
const BAD_KINDS: ReadonlyArray<{ name: string; code: ingestionV1.ViolationCode; make: (i: number) => Buffer }> = [
  { name: 'raw NUL byte', code: ViolationCode.VIOLATION_CODE_MALFORMED, make: (i) => Buffer.concat([json(good(i)), Buffer.from([0])]) },
  {
    name: 'invalid UTF-8',
    code: ViolationCode.VIOLATION_CODE_MALFORMED,
    make: (i) => Buffer.concat([Buffer.from(`{"id": "r${i}`), Buffer.from([0xff]), Buffer.from('"}')]),
  },
  {
    name: 'deep nesting',
    code: ViolationCode.VIOLATION_CODE_MALFORMED,
    make: (i) => Buffer.from(`{"id": "r${i}", "x": ${'['.repeat(100)}${']'.repeat(100)}}`),
  },
  { name: 'impossible date', code: ViolationCode.VIOLATION_CODE_WRONG_TYPE, make: (i) => json({ ...good(i), at: '2026-02-30T00:00:00Z' }) },
  { name: 'NUL escape', code: ViolationCode.VIOLATION_CODE_MALFORMED, make: (i) => json({ ...good(i), note: 'a\u0000b' }) },
  { name: 'lone surrogate', code: ViolationCode.VIOLATION_CODE_MALFORMED, make: (i) => json({ ...good(i), note: 'a\ud800b' }) },
  {
    name: 'record over max_record_bytes',
    code: ViolationCode.VIOLATION_CODE_MALFORMED,
    make: (i) => json({ ...good(i), pad: 'p'.repeat(5_000) }),
  },
  {
    name: 'value over max_value_bytes',
    code: ViolationCode.VIOLATION_CODE_OUT_OF_RANGE,
    make: (i) => json({ ...good(i), note: 'v'.repeat(300) }),
  },
  { name: 'unknown column', code: ViolationCode.VIOLATION_CODE_UNKNOWN_COLUMN, make: (i) => json({ ...good(i), extra: 1 }) },
  { name: 'not JSON', code: ViolationCode.VIOLATION_CODE_MALFORMED, make: (i) => Buffer.from(`{"id": "r${i}", "amount": `) },
];

/** Record i: 1% bad (every hundredth, cycling through the kinds), the rest valid. */
function recordAt(i: number): { value: Buffer; bad?: ingestionV1.ViolationCode } {
  if (i % 100 !== 50) return { value: json(good(i)) };
  const kind = BAD_KINDS[Math.floor(i / 100) % BAD_KINDS.length]!;
  return { value: kind.make(i), bad: kind.code };
}

describe('ingestion under crashes (100,000 records, killed twice)', () => {
  let infra: ServiceInfrastructure;
  let env: Record<string, string>;
  let kafka: Kafka;
  let producer: Producer;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let client: Client | undefined;

  const start = async () => {
    child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'main.ts')], {
      cwd: join(__dirname, '../../..'),
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    exited = new Promise((resolve) => child!.once('exit', resolve));
    await waitFor(
      async () => (await fetch(`http://${env.HTTP_HOST}:${env.HTTP_PORT}/healthz`).catch(() => undefined))?.ok === true,
      120_000,
      'service healthy',
    );
    client = createGrpcClient(GrpcServices.ingestion, { address: `${env.GRPC_HOST}:${env.GRPC_PORT}`, token: infra.tokens.writer });
  };
  const kill = async () => {
    client?.close();
    client = undefined;
    child?.kill('SIGKILL');
    await exited;
  };
  /** Records applied so far by the running process, from its metrics. */
  const applied = async (): Promise<number> => {
    const text = await (await fetch(`http://${env.HTTP_HOST}:${env.HTTP_PORT}/metrics`)).text();
    return Number(/flywheel_kafka_batch_records_total\{[^}]*outcome="applied"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  const committedRows = async (): Promise<number> => {
    const found = (await client!.getDataset({ name: 'stream' })).dataset!;
    return found.latestVersion === 0 ? 0 : (await client!.getVersion({ dataset: 'stream', version: 0 })).version!.cumulativeRowCount;
  };
  const produce = (from: number, to: number) =>
    producer.send({
      topic: Topics.ingestTopic('stream'),
      messages: Array.from({ length: to - from }, (_, k) => ({ key: String((from + k) % 7), value: recordAt(from + k).value })),
    });

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    env = await infra.serviceEnv('ingestion', { INGEST_DATASET_SYNC_MS: '1000', LOG_LEVEL: 'error' });
    kafka = new Kafka({ clientId: 'crash-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await kill();
    await producer?.disconnect();
    await infra?.stop();
  });

  it('commits every valid record exactly once and quarantines every bad one with its reason; poison never stalls a partition', async () => {
    await start();
    await client!.registerDataset({
      name: 'stream',
      description: 'crash test',
      contract,
      commitPolicy: { maxRows: 10_000, maxInterval: { seconds: INTERVAL_MS / 1000, nanos: 0 } },
    });

    // Killed once a third and two thirds of the stream are in, each time with records in flight.
    let produced = 0;
    for (const killAt of [RECORDS / 3, (2 * RECORDS) / 3]) {
      while (produced < killAt) {
        await produce(produced, Math.min(produced + CHUNK, RECORDS));
        produced = Math.min(produced + CHUNK, RECORDS);
      }
      await waitFor(async () => (await applied()) > 0, 60_000, 'records applied before the kill');
      await kill();
      // The producers do not wait for the service.
      await produce(produced, produced + CHUNK);
      produced += CHUNK;
      await start();
    }
    while (produced < RECORDS) {
      await produce(produced, Math.min(produced + CHUNK, RECORDS));
      produced = Math.min(produced + CHUNK, RECORDS);
    }

    const expected = Array.from({ length: RECORDS }, (_, i) => i).filter((i) => recordAt(i).bad === undefined);
    await waitFor(async () => (await committedRows()) >= expected.length, 300_000, 'every valid record committed');

    const store = new MinioObjectStore({
      endpoint: infra.s3.endpoint,
      accessKey: infra.s3.accessKey,
      secretKey: infra.s3.secretKey,
      bucket: 'flywheel',
      region: 'us-east-1',
    });
    const ids: string[] = [];
    let pageToken = '';
    do {
      const response = await client!.listVersions({ dataset: 'stream', page: { pageSize: 100, pageToken } });
      for (const version of response.versions) {
        const csv = (await store.get(parseObjectKey(version.object!.key), { expectedSha256: version.object!.sha256 })).toString('utf8');
        for (const line of csv.trim().split('\n').slice(1)) ids.push(line.split(',')[0]!);
      }
      pageToken = response.page?.nextPageToken ?? '';
    } while (pageToken);
    expect(ids.length).toBe(expected.length);
    expect(new Set(ids).size).toBe(expected.length);
    expect(ids.sort()).toEqual(expected.map((i) => `r${i}`).sort());

    const quarantined: ingestionV1.QuarantinedRecord[] = [];
    pageToken = '';
    do {
      const response = await client!.listQuarantine({ dataset: 'stream', page: { pageSize: 100, pageToken }, includeReplayed: false });
      quarantined.push(...response.records);
      pageToken = response.page?.nextPageToken ?? '';
    } while (pageToken);
    const bad = Array.from({ length: RECORDS }, (_, i) => i).filter((i) => recordAt(i).bad !== undefined);
    expect(quarantined).toHaveLength(bad.length);
    const offsetOf = (origin: string) => Number(/\/(\d+)$/.exec(origin)![1]);
    // Each bad record once, with its reason: its position in its partition tells which one it was.
    const byKey = new Map<string, ingestionV1.QuarantinedRecord>();
    for (const record of quarantined) byKey.set(`${/\/(\d+)\/\d+$/.exec(record.origin)![1]}:${offsetOf(record.origin)}`, record);
    expect(byKey.size).toBe(bad.length);
    const codes = new Map<number, number>();
    for (const record of quarantined) {
      expect(record.violations.length).toBeGreaterThan(0);
      for (const v of record.violations) expect(v.message).not.toBe('');
      codes.set(record.violations[0]!.code, (codes.get(record.violations[0]!.code) ?? 0) + 1);
    }
    const wanted = new Map<number, number>();
    for (const i of bad) wanted.set(recordAt(i).bad!, (wanted.get(recordAt(i).bad!) ?? 0) + 1);
    expect(Object.fromEntries(codes)).toEqual(Object.fromEntries(wanted));

    // A run of poison does not hold up the good record behind it: it is committed on its interval.
    const poison = BAD_KINDS.flatMap((kind, k) => Array.from({ length: 100 }, (_, j) => kind.make(RECORDS + k * 100 + j)));
    const before = await committedRows();
    await producer.send({ topic: Topics.ingestTopic('stream'), messages: poison.map((value) => ({ key: 'p', value })) });
    const sentAt = Date.now();
    await producer.send({ topic: Topics.ingestTopic('stream'), messages: [{ key: 'p', value: json(good(RECORDS + 5_000)) }] });
    await waitFor(async () => (await committedRows()) === before + 1, 30_000, 'the good record after the poison committed');
    const waited = Date.now() - sentAt;
    process.stdout.write(`good record after 1,000 poison records committed in ${waited} ms (interval ${INTERVAL_MS} ms)\n`);
    expect(waited).toBeLessThanOrEqual(INTERVAL_MS + 1_000);
  });
});
