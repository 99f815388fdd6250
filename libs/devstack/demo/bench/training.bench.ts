// `npm run bench -- training`: what the platform adds to training, on `npm start`'s platform (the
// launcher, the six services, the embedded broker, PostgreSQL and S3), in the same run:
//
// - building a training set: `GetHistoricalFeatures` over the whole claims dataset (the call the
//   trainer makes: the dataset as spine, the label carried along), against a bare read of the
//   same stored feature rows from the feature store's own database with `pg`;
// - a run: `SubmitTraining` until `GetRun` says it succeeded (training set, fit, holdout
//   metrics, artifacts, registration), against `flywheel ml fit` (the bin, as a person runs it)
//   on the training set the run read, with the same algorithm, parameters and seed.
//
// BENCH_ROWS (default 50,000) labelled claims go through Kafka into the claims dataset, a version
// every BENCH_COMMIT_ROWS (default 10,000); then BENCH_RUNS (default 3) timings of each, after one
// warm-up, reported as medians. The training set's warm-up, the first call over the versions
// (which reads their objects for the label; later calls find it kept), is shown on its own line. Targets (the issue's): the training set within 1.5×
// the bare read; the run within 1.2× `flywheel ml fit`. BENCH_PROFILE names a folder where each
// service writes a CPU profile (`--cpu-prof`, one folder per service) when the platform stops.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { featureStoreV1, registryV1, Topics, trainerV1 } from '@flywheel/contracts';
import { MinioObjectStore, parseObjectKey, storageConfigFromEnv } from '@flywheel/storage';
import { formatNumber, median, repeat, table } from '@flywheel/test-kit';
import { ClaimsGenerator } from '../src/claims-generator';
import { waitCommitted } from '../src/loop-progress';
import { modelSpec, registerClaimsData } from '../src/scenario-resources';
import { DATASET, DEFAULT_OPTIONS, FEATURE_VIEW, MODEL } from '../src/scenario-options';
import { ScenarioPlatform } from '../src/scenario-platform';
import { Timeline } from '../src/timeline';

const ROOT = resolve(__dirname, '../../../..');
const FLYWHEEL_BIN = resolve(ROOT, 'libs/cli/bin/flywheel.js');
const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const COMMIT_ROWS = Number(process.env.BENCH_COMMIT_ROWS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SEED = DEFAULT_OPTIONS.seed;
const TARGETS = { trainingSet: 1.5, run: 1.2 };
const INGEST_TIMEOUT_MS = 600_000;
const RUN_TIMEOUT_MS = 300_000;

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** The labelled claims of the last day, streamed to the dataset's ingest topic as producers do. */
async function ingestClaims(platform: ScenarioPlatform): Promise<void> {
  const generator = new ClaimsGenerator(SEED);
  const start = Date.now() - 86_400_000;
  const claims = Array.from({ length: ROWS }, (_, i) => generator.next('before', new Date(start + (i * 86_400_000) / ROWS)));
  log(`streaming ${formatNumber(ROWS)} claims to ${Topics.ingestTopic(DATASET)}`);
  for (let i = 0; i < claims.length; i += 1_000) {
    await platform.producer.send({
      topic: Topics.ingestTopic(DATASET),
      messages: claims.slice(i, i + 1_000).map((c) => ({ key: c.claim_id, value: JSON.stringify(c) })),
    });
  }
  await waitCommitted(
    platform.events,
    { rows: ROWS, quarantined: 0, services: ['ingestion', 'feature-store'], timeoutMs: INGEST_TIMEOUT_MS },
    () => {
      if (platform.crashed) throw new Error(`${platform.crashed.service} crashed: ${platform.crashed.reason}`);
    },
  );
}

/** The run's whole life as a caller sees it: submitted, then polled until it ends. */
async function platformRun(platform: ScenarioPlatform, run: number): Promise<number> {
  const { trainer } = platform.clients;
  const started = performance.now();
  const submitted = await trainer.submitTraining({ spec: modelSpec(SEED, null), requestId: `bench-${run}-${Date.now()}` });
  const runId = submitted.run?.runId ?? '';
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  for (;;) {
    const { run: current } = await trainer.getRun({ runId });
    if (current?.status === trainerV1.RunStatus.RUN_STATUS_SUCCEEDED) return (performance.now() - started) / 1000;
    if (current?.status === trainerV1.RunStatus.RUN_STATUS_FAILED) throw new Error(`run ${runId} failed: ${current.error}`);
    if (Date.now() > deadline) throw new Error(`run ${runId} did not end within ${RUN_TIMEOUT_MS / 1000} s`);
    await sleep(20);
  }
}

function verdict(ratio: number, target: number): string {
  return `${formatNumber(ratio, 2)}× (target ≤ ${target}×: ${ratio <= target ? 'met' : 'NOT met'})`;
}

async function main(): Promise<void> {
  if (process.env.BENCH_PROFILE) process.env.FLYWHEEL_CPU_PROFILE_DIR = resolve(process.env.BENCH_PROFILE);
  const dataDir = mkdtempSync(join(tmpdir(), 'flywheel-training-bench-'));
  const timeline = new Timeline(log);
  const platform = new ScenarioPlatform({ ...DEFAULT_OPTIONS, dataDir }, dataDir, timeline);
  try {
    await platform.start();
    await registerClaimsData(platform.clients, COMMIT_ROWS);
    await platform.clients.registry.createModel(registryV1.CreateModelRequest.fromPartial({ name: MODEL }));
    await ingestClaims(platform);

    log('building the training set (GetHistoricalFeatures) and reading the stored feature rows (pg)');
    const request = featureStoreV1.GetHistoricalFeaturesRequest.fromPartial({
      featureView: FEATURE_VIEW,
      datasetSpine: { extraColumns: [modelSpec(SEED, null).label] },
    });
    let trainingSet: featureStoreV1.GetHistoricalFeaturesResponse | undefined;
    // The warm-up is the first call over these versions: besides starting the feature store's
    // threads and warming its code, it reads their objects for the label, which the calls after
    // it find kept. Its time is shown apart.
    let firstCall = 0;
    const historical = await repeat(RUNS, async (run) => {
      const took = await seconds(async () => {
        trainingSet = await platform.clients.featureStore.getHistoricalFeatures(request);
      });
      if (run < 0) firstCall = took;
      return took;
    });
    const database = new Client({ connectionString: platform.databaseUrl('feature-store') });
    await database.connect();
    let storedRows = 0;
    const bare = await repeat(RUNS, () =>
      seconds(async () => {
        const result = await database.query(
          `SELECT entity_key, event_time, dataset_version, row_index, "values" FROM offline_features WHERE feature_view = $1 AND revision = $2`,
          [FEATURE_VIEW, trainingSet!.featureViewRevision],
        );
        storedRows = result.rowCount ?? 0;
      }),
    );
    await database.end();

    // The training set the runs read, as a file for `flywheel ml fit`.
    const s3 = platform.objectStore;
    const objects = new MinioObjectStore(
      storageConfigFromEnv({ S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey }),
    );
    const csvFile = join(dataDir, 'training-set.csv');
    const stored = trainingSet!.trainingSet!;
    writeFileSync(csvFile, await objects.get(parseObjectKey(stored.key), { expectedSha256: stored.sha256 }));
    const spec = modelSpec(SEED, null);
    const [entityColumn, timeColumn] = trainingSet!.columns;
    const features = trainingSet!.columns.filter((c) => c !== entityColumn && c !== timeColumn && c !== spec.label);
    const params = Object.entries(spec.params).flatMap(([name, value]) => ['--param', `${name}=${value.numberValue}`]);
    const fitArgs = ['ml', 'fit', '--data', csvFile, '--label', spec.label, '--features', features.join(','), '--algo', 'logreg'];
    fitArgs.push(...params, '--seed', String(SEED), '--out', join(dataDir, 'model.json'));
    log(`flywheel ${fitArgs.join(' ')}`);
    const cli = await repeat(RUNS, () =>
      seconds(async () => {
        const fit = spawnSync(process.execPath, [FLYWHEEL_BIN, ...fitArgs], { cwd: ROOT, encoding: 'utf8' });
        if (fit.status !== 0) throw new Error(`flywheel ml fit failed: ${fit.stderr}`);
      }),
    );
    log('training through the platform (SubmitTraining until GetRun says succeeded)');
    const runs = await repeat(RUNS, (run) => platformRun(platform, run));

    const h = median(historical);
    const b = median(bare);
    const c = median(cli);
    const r = median(runs);
    const each = (values: number[]) => values.map((v) => v.toFixed(2)).join(' / ');
    process.stdout.write(
      `\n${table(
        ['what', 'rows', 'seconds (median)', 'each run', 'ratio'],
        [
          ['bare read of the stored feature rows (pg)', formatNumber(storedRows), b.toFixed(3), each(bare), '1.00'],
          [
            'GetHistoricalFeatures (training set written to S3)',
            formatNumber(trainingSet!.rowCount),
            h.toFixed(3),
            each(historical),
            (h / b).toFixed(2),
          ],
          [
            '  its first call (cold: threads, JIT, label read)',
            formatNumber(trainingSet!.rowCount),
            firstCall.toFixed(3),
            '-',
            (firstCall / b).toFixed(2),
          ],
          ['flywheel ml fit on that training set (logreg)', formatNumber(trainingSet!.rowCount), c.toFixed(3), each(cli), '1.00'],
          ['platform run (SubmitTraining → succeeded)', formatNumber(trainingSet!.rowCount), r.toFixed(3), each(runs), (r / c).toFixed(2)],
        ],
      )}\n`,
    );
    process.stdout.write(
      `\nsummary: training set ${verdict(h / b, TARGETS.trainingSet)} a bare read; platform run ${verdict(r / c, TARGETS.run)} \`flywheel ml fit\` — ${formatNumber(ROWS)} claims\n`,
    );
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Exits explicitly: embedded PostgreSQL's exit hook fails when the process ends by itself.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
