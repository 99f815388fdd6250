// Ingestion throughput through Kafka and gRPC, and commit latency under load, each next to a
// baseline measured in the same run on the same machine:
// - Kafka: a 20-column contract's JSON records waiting in the topic (produced with kafkajs while
//   the service is stopped), from the service resuming to the last one committed in a version,
//   against a bare kafkajs consumer reading the same messages from the same broker (what the
//   broker and the client give at best). Beside it, the live figure: produced while consumed,
//   from the first record produced to the last one committed.
// - gRPC: Ingest calls of 1,000 rows (encoded once, before the clock starts), against a bare
//   grpc-js server decoding the same calls and answering with an empty summary (what the
//   transport and decoding the requests cost at best).
// - Latency: records produced continuously; the time from the last one produced to its version
//   committed, against the dataset's commit interval.
// The service runs as its own process, as in production; PostgreSQL, the broker and S3 are the
// embedded servers `npm start` uses.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { commonV1, GrpcServices, ingestionV1, Topics } from '@flywheel/contracts';
import { spawnBrokerProcess, temporaryDataDir } from '@flywheel/kafka-broker';
import { createGrpcClient, type GrpcClient, issueToken, Role } from '@flywheel/platform';
import { jsonLogger } from '@flywheel/dev-server-kit';
import { S3Server } from '@flywheel/s3-server';
import { cpuUsedBetween, formatNumber, freePort, median, repeat, table, threadCpu, type ThreadInfo } from '@flywheel/test-kit';
import { startTestPostgres } from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SEND_BATCH = 1_000;
const GRPC_BATCH = 1_000;
const GRPC_IN_FLIGHT = 4;
const COMMIT_INTERVAL_MS = 2_000;
const LATENCY_STREAM_MS = 6_000;
const ROOT = resolve(__dirname, '../../..');

type Client = GrpcClient<ingestionV1.IngestionServiceController>;
const { ColumnType } = commonV1;

/** 20 columns: an id, 8 doubles, 4 integers, 3 strings (one enumerated), 2 booleans, a category, the event time. */
const CONTRACT: ingestionV1.DataContract = {
  columns: [
    { name: 'id', type: ColumnType.COLUMN_TYPE_STRING, required: true, allowedValues: [], description: '' },
    ...Array.from({ length: 8 }, (_, i) => ({
      name: `x${i}`,
      type: ColumnType.COLUMN_TYPE_DOUBLE,
      required: true,
      min: -1e6,
      max: 1e6,
      allowedValues: [],
      description: '',
    })),
    ...Array.from({ length: 4 }, (_, i) => ({
      name: `n${i}`,
      type: ColumnType.COLUMN_TYPE_INTEGER,
      required: false,
      min: 0,
      allowedValues: [],
      description: '',
    })),
    { name: 'channel', type: ColumnType.COLUMN_TYPE_STRING, required: true, allowedValues: ['web', 'phone', 'branch'], description: '' },
    { name: 'city', type: ColumnType.COLUMN_TYPE_STRING, required: false, allowedValues: [], description: '' },
    { name: 'note', type: ColumnType.COLUMN_TYPE_STRING, required: false, allowedValues: [], description: '' },
    { name: 'b0', type: ColumnType.COLUMN_TYPE_BOOLEAN, required: false, allowedValues: [], description: '' },
    { name: 'b1', type: ColumnType.COLUMN_TYPE_BOOLEAN, required: false, allowedValues: [], description: '' },
    { name: 'segment', type: ColumnType.COLUMN_TYPE_STRING, required: false, allowedValues: [], description: '' },
    { name: 'at', type: ColumnType.COLUMN_TYPE_TIMESTAMP, required: true, allowedValues: [], description: '' },
  ],
  uniqueKey: [],
  eventTimeColumn: 'at',
  maxRecordBytes: 0,
  maxValueBytes: 0,
};

function record(i: number): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = { id: `r${i}` };
  for (let c = 0; c < 8; c++) out[`x${c}`] = Math.round(Math.sin(i * (c + 1)) * 1e5) / 100;
  for (let c = 0; c < 4; c++) out[`n${c}`] = (i * (c + 7)) % 1000;
  out.channel = ['web', 'phone', 'branch'][i % 3]!;
  out.city = ['Lisbon', 'Porto', 'Braga', 'Faro'][i % 4]!;
  out.note = `note ${i % 97}`;
  out.b0 = i % 2 === 0;
  out.b1 = i % 5 === 0;
  out.segment = `s${i % 11}`;
  out.at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  return out;
}

function row(values: Record<string, string | number | boolean>): commonV1.Row {
  const out: commonV1.Row = { values: {} };
  for (const [name, value] of Object.entries(values)) {
    out.values[name] =
      typeof value === 'number' ? { numberValue: value } : typeof value === 'boolean' ? { boolValue: value } : { stringValue: value };
  }
  return out;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Rows of a dataset committed in versions so far. */
async function committedRows(client: Client, dataset: string): Promise<number> {
  const found = (await client.getDataset({ name: dataset })).dataset!;
  if (found.latestVersion === 0) return 0;
  return (await client.getVersion({ dataset, version: 0 })).version!.cumulativeRowCount;
}

async function register(client: Client, name: string, maxRows: number, intervalMs: number): Promise<void> {
  await client.registerDataset({
    name,
    description: 'benchmark',
    contract: CONTRACT,
    commitPolicy: { maxRows, maxInterval: { seconds: Math.floor(intervalMs / 1000), nanos: (intervalMs % 1000) * 1e6 } },
  });
}

/** Registers a dataset and waits until its raw consumer has applied a first record (then committed alone). */
async function readyDataset(client: Client, producer: Producer, name: string, maxRows: number, intervalMs: number): Promise<void> {
  await register(client, name, maxRows, intervalMs);
  await producer.send({ topic: Topics.ingestTopic(name), messages: [{ value: JSON.stringify(record(RECORDS)) }] });
  await until(
    async () => {
      await client.ingest({ dataset: name, rows: [], batchId: '', commitNow: true });
      return (await committedRows(client, name)) === 1;
    },
    60_000,
    `${name} consuming`,
  );
}

async function produceAll(producer: Producer, topic: string, values: readonly Buffer[]): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let start = 0; start < values.length; start += SEND_BATCH) {
    const messages = values.slice(start, start + SEND_BATCH).map((value, i) => ({ key: String((start + i) % 12), value }));
    sends.push(producer.send({ topic, messages }));
    // A few sends in flight, as a busy producer would have.
    if (sends.length >= 4) await sends.shift();
  }
  await Promise.all(sends);
}

/** A bare kafkajs consumer reading `count` messages of `topic` from its start: seconds from joining to the last one. */
async function rawConsume(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `bench-raw-${randomBytes(4).toString('hex')}`,
    maxBytes: 16 << 20,
    maxBytesPerPartition: 4 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const start = process.hrtime.bigint();
  const elapsed = await new Promise<number>((done) => {
    void consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= count) done(seconds(start));
      },
    });
  });
  await consumer.disconnect();
  return elapsed;
}

/** The bare grpc-js baseline (bare-ingest-server.ts) in its own process. */
async function startBareServer(): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'bare-ingest-server.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done) => child.stdout!.once('data', (d) => done(Number(String(d).trim()))));
  return { child, address: `127.0.0.1:${port}` };
}

/**
 * Sends `requests` (Ingest requests encoded once, up front: what the load generator spends
 * encoding must not bound the figure) GRPC_IN_FLIGHT at a time over a plain grpc-js channel:
 * seconds for all.
 */
async function ingestOverGrpc(address: string, token: string | undefined, requests: readonly Buffer[]): Promise<number> {
  const { packageName, serviceName } = GrpcServices.ingestion;
  const path = `/${packageName}.${serviceName}/Ingest`;
  const channel = new grpc.Client(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  const call = (request: Buffer) =>
    new Promise<void>((done, fail) => {
      channel.makeUnaryRequest(
        path,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => ingestionV1.IngestResponse.decode(bytes),
        request,
        metadata,
        { deadline: Date.now() + 120_000 },
        (error) => (error ? fail(error) : done()),
      );
    });
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < requests.length) await call(requests[next++]!);
  };
  try {
    await Promise.all(Array.from({ length: GRPC_IN_FLIGHT }, worker));
    return seconds(start);
  } finally {
    channel.close();
  }
}

/** The Ingest requests carrying `rows` into `dataset`, GRPC_BATCH rows each, encoded. */
function encodedRequests(dataset: string, rows: readonly commonV1.Row[]): Buffer[] {
  const requests: Buffer[] = [];
  for (let first = 0; first < rows.length; first += GRPC_BATCH) {
    const request = { dataset, rows: rows.slice(first, first + GRPC_BATCH), batchId: '', commitNow: false };
    requests.push(Buffer.from(ingestionV1.IngestRequest.encode(request).finish()));
  }
  return requests;
}

/** The runs of a scenario, or none when it is not selected. */
function repeatIf<T>(selected: boolean, once: () => Promise<T>): Promise<T[]> {
  return selected ? repeat(RUNS, once) : Promise.resolve([]);
}

async function startService(env: Record<string, string>): Promise<ChildProcess> {
  // BENCH_PROFILE=<dir> writes the service's CPU profile there when it stops (open it in Chrome's DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, '-r', '@swc-node/register', join(ROOT, 'services/ingestion/src/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await until(
    async () => (await fetch(`http://${env.HTTP_HOST}:${env.HTTP_PORT}/healthz`).catch(() => undefined))?.ok === true,
    120_000,
    'ingestion healthy',
  );
  return child;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-bench-ingestion-'));
  const brokerDir = temporaryDataDir('flywheel-bench-broker-');
  const postgres = await startTestPostgres();
  const broker = await spawnBrokerProcess(await freePort(), brokerDir);
  const s3Keys = { accessKey: `BENCH${randomBytes(6).toString('hex').toUpperCase()}`, secretKey: randomBytes(18).toString('base64url') };
  const s3 = await S3Server.start({ port: 0, dataDir: join(dir, 's3'), ...s3Keys, logger: jsonLogger('warn', 's3-server') });
  const tokensFile = join(dir, 'tokens.json');
  const writer = issueToken(tokensFile, { team: 'bench', roles: [Role.Write] }).token;
  const admin = issueToken(tokensFile, { team: 'platform', roles: [Role.Admin] }).token;
  const env: Record<string, string> = {
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: String(await freePort()),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(await freePort()),
    KAFKA_BROKERS: broker.address,
    DATABASE_URL: await postgres.createDatabase('ingestion_bench'),
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3Keys.accessKey,
    S3_SECRET_KEY: s3Keys.secretKey,
    S3_BUCKET: 'flywheel',
    FLYWHEEL_TOKENS_FILE: tokensFile,
    FLYWHEEL_SERVICE_TOKEN: admin,
    LOG_LEVEL: 'warn',
  };
  process.stderr.write(`starting PostgreSQL, the broker, S3 and the ingestion service…\n`);
  const service = await startService(env);
  const client: Client = createGrpcClient(GrpcServices.ingestion, { address: `${env.GRPC_HOST}:${env.GRPC_PORT}`, token: writer });
  const kafka = new Kafka({ clientId: 'bench', brokers: [broker.address], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const bare = await startBareServer();
  // Where the CPU of a measured window went: the service's event loop and its other threads
  // (compute threads first of all), PostgreSQL, the broker, and this process (client and S3).
  const labelOf = ({ pid, tid, name }: ThreadInfo) =>
    pid === service.pid
      ? tid === pid
        ? 'service event loop'
        : 'service other threads'
      : name === 'postgres'
        ? 'PostgreSQL'
        : pid === broker.child.pid
          ? 'broker'
          : pid === process.pid
            ? 'benchmark (client, S3)'
            : undefined;
  const values = Array.from({ length: RECORDS }, (_, i) => Buffer.from(JSON.stringify(record(i))));
  const rows = Array.from({ length: RECORDS }, (_, i) => row(record(i)));
  let dataset = 0;

  try {
    // BENCH_SCENARIOS=kafka,latency,grpc runs only those (all by default).
    const scenarios = new Set((process.env.BENCH_SCENARIOS ?? 'kafka,latency,grpc').split(','));
    process.stderr.write(`Kafka: ${formatNumber(RECORDS)} records of 20 columns (${values[0]!.length} bytes each), 3 partitions\n`);
    const kafkaRuns = await repeatIf(scenarios.has('kafka'), async () => {
      // Live: the records are produced while the service consumes them (the producer shares the machine).
      const live = `bench_kafka_${dataset++}`;
      await readyDataset(client, producer, live, 10_000, 60_000);
      const liveStart = process.hrtime.bigint();
      await produceAll(producer, Topics.ingestTopic(live), values);
      await until(async () => (await committedRows(client, live)) === RECORDS + 1, 600_000, `${live} committed`);
      const liveSeconds = seconds(liveStart);
      // Backlog: the records wait in the topic (the service is stopped while they are produced),
      // as they do for the bare consumer: from the service resuming to the last one committed.
      const backlog = `bench_kafka_${dataset++}`;
      await readyDataset(client, producer, backlog, 10_000, 60_000);
      service.kill('SIGSTOP');
      try {
        await produceAll(producer, Topics.ingestTopic(backlog), values);
      } finally {
        service.kill('SIGCONT');
      }
      const cpuBefore = threadCpu();
      const start = process.hrtime.bigint();
      await until(async () => (await committedRows(client, backlog)) === RECORDS + 1, 600_000, `${backlog} committed`);
      const ingest = seconds(start);
      const cpu = cpuUsedBetween(cpuBefore, threadCpu(), labelOf);
      const raw = await rawConsume(kafka, Topics.ingestTopic(backlog), RECORDS + 1);
      return { live: liveSeconds, ingest, raw, cpu };
    });

    process.stderr.write(`latency: records produced for ${LATENCY_STREAM_MS / 1000} s, commit interval ${COMMIT_INTERVAL_MS / 1000} s\n`);
    const latencyRuns = await repeatIf(scenarios.has('latency'), async () => {
      const name = `bench_latency_${dataset++}`;
      await readyDataset(client, producer, name, 1_000_000, COMMIT_INTERVAL_MS);
      let sent = 0;
      const streamEnd = Date.now() + LATENCY_STREAM_MS;
      while (Date.now() < streamEnd) {
        await producer.send({ topic: Topics.ingestTopic(name), messages: values.slice(0, 500).map((value) => ({ value })) });
        sent += 500;
        await sleep(50);
      }
      const lastProduced = process.hrtime.bigint();
      await until(async () => (await committedRows(client, name)) === sent + 1, 60_000, `${name} committed`);
      return seconds(lastProduced);
    });

    process.stderr.write(`gRPC: Ingest calls of ${GRPC_BATCH} rows, ${GRPC_IN_FLIGHT} in flight\n`);
    const grpcRuns = await repeatIf(scenarios.has('grpc'), async () => {
      const name = `bench_grpc_${dataset++}`;
      await register(client, name, 10_000, 60_000);
      const requests = encodedRequests(name, rows);
      const cpuBefore = threadCpu();
      const ingest = await ingestOverGrpc(`${env.GRPC_HOST}:${env.GRPC_PORT}`, writer, requests);
      const cpu = cpuUsedBetween(cpuBefore, threadCpu(), labelOf);
      const bareSeconds = await ingestOverGrpc(bare.address, undefined, requests);
      return { ingest, bare: bareSeconds, cpu };
    });

    const rate = (s: number) => RECORDS / s;
    const kafkaIngest = median(kafkaRuns.map((r) => rate(r.ingest)));
    const kafkaLive = median(kafkaRuns.map((r) => rate(r.live)));
    const kafkaRaw = median(kafkaRuns.map((r) => rate(r.raw)));
    const grpcIngest = median(grpcRuns.map((r) => rate(r.ingest)));
    const grpcBare = median(grpcRuns.map((r) => rate(r.bare)));
    const latency = median(latencyRuns);
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const results: string[][] = [];
    if (kafkaRuns.length > 0) {
      results.push([
        'Kafka backlog → committed versions',
        formatNumber(kafkaIngest),
        `${formatNumber(kafkaRaw)} (bare kafkajs consumer)`,
        formatNumber(kafkaIngest / kafkaRaw, 2),
        `≥ 50,000/s and ≥ 0.3: ${met(kafkaIngest >= 50_000 && kafkaIngest / kafkaRaw >= 0.3)}`,
      ]);
      results.push(['Kafka live (produced meanwhile)', formatNumber(kafkaLive), '', '', 'first produced → last committed']);
    }
    if (grpcRuns.length > 0) {
      results.push([
        `gRPC Ingest, ${GRPC_BATCH} rows per call`,
        formatNumber(grpcIngest),
        `${formatNumber(grpcBare)} (bare grpc-js server)`,
        formatNumber(grpcIngest / grpcBare, 2),
        `≥ 50,000/s: ${met(grpcIngest >= 50_000)}`,
      ]);
    }
    if (results.length > 0) {
      process.stdout.write(`\n${table([`scenario (median of ${RUNS})`, 'records/s', 'baseline records/s', 'ratio', 'target'], results)}\n`);
    }
    const cpuRows: string[][] = [];
    const cpuRow = (scenario: string, runs: ReadonlyArray<{ cpu: Map<string, number> }>) => {
      const labels = ['service event loop', 'service other threads', 'PostgreSQL', 'broker', 'benchmark (client, S3)'];
      const perTenThousand = (label: string) => median(runs.map((r) => ((r.cpu.get(label) ?? 0) * 10_000) / RECORDS));
      const cells = labels.map((label) => formatNumber(perTenThousand(label)));
      cpuRows.push([scenario, ...cells, formatNumber(labels.reduce((sum, label) => sum + perTenThousand(label), 0))]);
    };
    if (kafkaRuns.length > 0) cpuRow('Kafka backlog', kafkaRuns);
    if (grpcRuns.length > 0) cpuRow('gRPC Ingest', grpcRuns);
    if (cpuRows.length > 0) {
      process.stdout.write(
        `\nCPU ms per 10,000 records (median of ${RUNS}; 1,000 ms per 10,000 records = 10,000 records/s on one core)\n` +
          `${table(['scenario', 'event loop', 'other threads', 'PostgreSQL', 'broker', 'bench + S3', 'total'], cpuRows)}\n`,
      );
    }
    if (latencyRuns.length > 0) {
      process.stdout.write(
        `\nlast record produced → its version committed: ${formatNumber(latency, 2)} s (median; runs ${latencyRuns.map((s) => formatNumber(s, 2)).join(', ')} s) ` +
          `with a ${COMMIT_INTERVAL_MS / 1000} s interval; target ≤ interval + 1 s: ${met(latency <= COMMIT_INTERVAL_MS / 1000 + 1)}\n`,
      );
    }
  } finally {
    client.close();
    bare.child.kill('SIGTERM');
    await producer.disconnect();
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
    broker.child.kill('SIGTERM');
    await broker.exited;
    await s3.stop();
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(brokerDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
