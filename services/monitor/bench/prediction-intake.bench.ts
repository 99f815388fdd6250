// `npm run bench -- prediction-intake`: how fast the monitor takes in the prediction log, against
// a bare kafkajs consumer that only reads the same records, in the same run. A backlog of
// BENCH_EVENTS (default 50,000) PredictionLogged events, as the deployer writes them, is put on
// a fresh broker; then the bare consumer reads it all in a group of its own, then the monitor
// (booted in this process on real PostgreSQL) takes it in its own group: the rate is events over
// the time from the start of reading until the group's committed offsets reach the end. Each of
// BENCH_RUNS (default 3) runs has a broker and databases of its own; medians are reported.
//
// The target is that the monitor keeps up with serving at ≥ 3× the rate the deployer
// serves on the same machine: the rate of Predict at c=50 is taken from the serving benchmark's
// figures (bench-results/serving.json) when that has been run.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { commonV1, type deployerV1, encodeEvent, PredictionLoggedEvent, Topics } from '@flywheel/contracts';
import { formatNumber, median, table } from '@flywheel/test-kit';
import { startServiceInfrastructure } from '@flywheel/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { startMonitorService } from '../src/monitor.app';
import { PREDICTIONS_GROUP } from '../src/windows/prediction.consumer';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PARTITIONS = 3;
const SERVING_FIGURES = resolve(__dirname, '../../../bench-results/serving.json');

const log = (line: string) => process.stderr.write(`${line}\n`);

/** A prediction as the deployer logs it: ten features in, a class and its probability out. */
function prediction(i: number): deployerV1.PredictionLogged {
  const values: Record<string, commonV1.Value> = {};
  for (let f = 0; f < 10; f++) values[`feature_${f}`] = { numberValue: (i * 7 + f) % 100 };
  return {
    requestId: `request-${i}-${randomUUID()}`,
    deployment: 'fraud',
    modelName: 'fraud',
    modelVersion: 1 + (i % 2),
    canary: i % 2 === 1,
    task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
    inputs: { values },
    output: { numberValue: i % 2 },
    probability: (i % 100) / 100,
    latencyMs: 0.4,
    predictTime: new Date(),
    entityKey: '',
  };
}

async function putBacklog(kafka: Kafka, admin: Admin): Promise<void> {
  await admin.createTopics({ topics: [{ topic: Topics.predictions, numPartitions: PARTITIONS }], waitForLeaders: true });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let start = 0; start < EVENTS; start += 1_000) {
    const messages = Array.from({ length: Math.min(1_000, EVENTS - start) }, (_, k) => {
      const data = prediction(start + k);
      const record = encodeEvent(PredictionLoggedEvent, {
        id: randomUUID(),
        source: 'flywheel/deployer',
        time: data.predictTime!,
        key: data.requestId,
        causationId: null,
        traceparent: null,
        data,
      });
      return { key: record.key, value: record.value, headers: record.headers };
    });
    await producer.send({ topic: Topics.predictions, acks: -1, messages });
  }
  await producer.disconnect();
}

/** Resolves once `group` has committed every offset of the topic. */
async function caughtUp(admin: Admin, group: string): Promise<void> {
  for (;;) {
    const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [Topics.predictions] });
    const committed = offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    if (committed >= EVENTS) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The same records read by a consumer that does nothing with them: the broker and kafkajs alone. */
async function bareRate(kafka: Kafka, admin: Admin): Promise<number> {
  const group = 'bench.bare-reader';
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 100 });
  const start = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [Topics.predictions], fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch, resolveOffset }) => resolveOffset(batch.lastOffset()) });
  await caughtUp(admin, group);
  const seconds = (performance.now() - start) / 1000;
  await consumer.disconnect();
  return EVENTS / seconds;
}

async function monitorRate(env: NodeJS.ProcessEnv, admin: Admin): Promise<number> {
  const start = performance.now();
  const service = await startMonitorService(env, { handleSignals: false });
  try {
    await caughtUp(admin, PREDICTIONS_GROUP);
    return EVENTS / ((performance.now() - start) / 1000);
  } finally {
    await service.shutdown('benchmark finished');
  }
}

/** Predict at c=50 from the serving benchmark's last figures, if they are there. */
function servingRate(): number | undefined {
  if (!existsSync(SERVING_FIGURES)) return undefined;
  const figures = JSON.parse(readFileSync(SERVING_FIGURES, 'utf8')) as {
    points: Array<{ call: string; concurrency: number; flywheel: { rps: number } }>;
  };
  return figures.points.find((p) => p.call === 'Predict, features inline' && p.concurrency === 50)?.flywheel.rps;
}

async function main(): Promise<void> {
  const runs: Array<{ bare: number; monitor: number }> = [];
  for (let run = 1; run <= RUNS; run++) {
    const infra = await startServiceInfrastructure();
    const kafka = new Kafka({ clientId: 'intake-bench', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      log(`run ${run}/${RUNS}: putting ${formatNumber(EVENTS)} predictions on the log`);
      await putBacklog(kafka, admin);
      const bare = await bareRate(kafka, admin);
      const env = await infra.serviceEnv('monitor', { LOG_LEVEL: 'warn' });
      const monitor = await monitorRate(env, admin);
      log(`  bare reader ${formatNumber(bare)} events/s, monitor ${formatNumber(monitor)} events/s`);
      runs.push({ bare, monitor });
    } finally {
      await admin.disconnect();
      await infra.stop();
    }
  }
  const bare = median(runs.map((r) => r.bare));
  const monitor = median(runs.map((r) => r.monitor));
  process.stdout.write(
    `\n${table(
      ['reader', 'events/s (median)', 'each run', 'ratio to bare'],
      [
        ['bare kafkajs consumer (reads only)', formatNumber(bare), runs.map((r) => formatNumber(r.bare)).join(' / '), '1.00'],
        [
          'monitor (index, journal, dedupe)',
          formatNumber(monitor),
          runs.map((r) => formatNumber(r.monitor)).join(' / '),
          formatNumber(monitor / bare, 2),
        ],
      ],
    )}\n`,
  );
  const serving = servingRate();
  process.stdout.write(
    serving === undefined
      ? `\ntarget: ≥ 3× the deployer's Predict rate at c=50 — run \`npm run bench -- serving\` first for that figure\n`
      : `\ntarget: ≥ 3× the deployer's Predict rate at c=50 (${formatNumber(serving)} rps, bench-results/serving.json): ` +
          `${monitor >= 3 * serving ? 'met' : 'NOT met'} (${formatNumber(monitor / serving, 1)}×)\n`,
  );
}

// Exits explicitly: embedded PostgreSQL's exit hook fails when the process ends by itself.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
