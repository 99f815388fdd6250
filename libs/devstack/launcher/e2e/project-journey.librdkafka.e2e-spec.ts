import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN_FILE, envPrefix, removeDataFolder, SERVICES } from '@flywheel/embedded-platform';
import { loadModel, parseCsv } from '@flywheel/ml';
import { exportedFeeds, OnnxRuntime } from '@flywheel/onnx';
import { runFlywheel } from '@flywheel/testing';
import { eventually } from '@flywheel/test-kit';
import { interrupt, npmStart, platformEnv, type RunningPlatform, waitForLine } from '../src/testing/platform-process';

// A team's first hour with Flywheel, through the `flywheel` command (and kcat, a Kafka producer
// of their own) alone: a project file applied to a fresh `npm start`, planned again (nothing to
// do); records produced with kcat and a CSV sent; the model trained from the spec the project
// gave it with a search, served, asked for predictions; labels sent back, a drift report read,
// the training set and the model taken out; then a project edit planned and applied, a
// contract change refused with nothing applied, and a relaxed contract applied and the
// quarantine replayed against it.
jest.setTimeout(900_000);

const PROJECT = `
datasets:
  - name: churn
    description: Customer churn
    contract:
      columns:
        - { name: customer_id, type: string, required: true }
        - { name: tenure, type: double, min: 0 }
        - { name: monthly_spend, type: double, min: 0 }
        - { name: churned, type: boolean }
        - { name: event_time, type: timestamp, required: true }
      uniqueKey: [customer_id, event_time]
      eventTimeColumn: event_time
    commitPolicy: { maxInterval: 5s }
featureViews:
  - name: churn_features
    dataset: churn
    entityKey: customer_id
    eventTimeColumn: event_time
    onlineTtl: 7d
    features:
      - { name: tenure, column: tenure, type: double }
      - { name: log_spend, expression: "log1p(monthly_spend)", type: double }
models:
  - name: churn
    description: Who leaves next month
    training:
      featureView: churn_features
      label: churned
      algorithm: logreg
      search: { parameters: { C: [0.1, 1] } }
      metric: roc_auc
    promotion: { autoPromote: true }
    monitoring: { windowSize: 40, minWindowSize: 40 }
deployments:
  - name: churn
    canary: { trafficShare: 0.2, maxDuration: 30m }
`;

/** Customer i: churn falls with tenure, so a model can learn it, deterministically. */
function customer(i: number) {
  const tenure = (i * 37) % 60;
  return {
    customer_id: `c${i}`,
    tenure,
    monthly_spend: 20 + ((i * 13) % 80),
    churned: tenure + ((i * 7) % 11) < 18,
    event_time: new Date(Date.parse('2026-11-01T00:00:00Z') + i * 60_000).toISOString(),
  };
}

/** Customers `from` to `to` as a CSV file, booleans as pandas writes them. */
function churnCsv(from: number, to: number): string {
  const lines = ['customer_id,tenure,monthly_spend,churned,event_time'];
  for (let i = from; i < to; i++) {
    const c = customer(i);
    lines.push(`${c.customer_id},${c.tenure},${c.monthly_spend},${c.churned ? 'True' : 'False'},${c.event_time}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Runs kcat; resolves its exit code and stderr. */
function kcat(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kcat', args, { timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stderr }),
    );
  });
}

describe('a project applied with flywheel apply, on npm start', () => {
  let parent: string;
  let dataDir: string;
  let running: RunningPlatform | undefined;
  let cli: Record<string, string>;
  let kafkaPort: string;
  const flywheel = (...args: string[]) => runFlywheel(args, cli);

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'flywheel-project-'));
    dataDir = join(parent, 'data');
    const { env, services } = await platformEnv(dataDir);
    kafkaPort = env.KAFKA_PORT!;
    running = npmStart(env);
    await waitForLine(running, /Flywheel is ready/, 300_000);
    cli = { FLYWHEEL_TOKEN: readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim() };
    for (const service of SERVICES) cli[`${envPrefix(service)}_GRPC_ADDRESS`] = `127.0.0.1:${services[service].grpc}`;
    writeFileSync(join(parent, 'flywheel.yaml'), PROJECT);
    writeFileSync(join(parent, 'churn.csv'), churnCsv(600, 1200));
    writeFileSync(join(parent, 'churn.jsonl'), `${Array.from({ length: 600 }, (_, i) => JSON.stringify(customer(i))).join('\n')}\n`);
  });

  afterAll(async () => {
    if (running) {
      interrupt(running);
      await running.exited;
    }
    if (dataDir) removeDataFolder(dataDir);
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it('applies the project, and a second apply finds nothing to change', async () => {
    const file = join(parent, 'flywheel.yaml');
    const applied = await flywheel('apply', '-f', file);
    expect([applied.code, applied.stderr]).toEqual([
      0,
      [
        'created dataset churn',
        'created feature view churn_features',
        'created model churn',
        'created training spec churn',
        'created promotion policy churn',
        'created monitoring policy churn',
        'created deployment churn',
        '',
      ].join('\n'),
    ]);
    expect(applied.stdout).toContain('+ create dataset churn');
    expect(applied.stdout).toContain('Plan: 7 to create, 0 to change, 0 unchanged.\nApplied: 7 objects.\n');

    const policies = await flywheel('policies', 'show', 'churn');
    expect(policies.code).toBe(0);
    for (const line of [
      /training\.featureView\s+churn_features/,
      /training\.search\.parameters\.C\s+\[0\.1, 1\]/,
      /monitoring\.windowSize\s+40/,
    ])
      expect(policies.stdout).toMatch(line);

    for (const command of ['plan', 'apply']) {
      const again = await flywheel(command, '-f', file);
      expect([command, again.code, again.stdout, again.stderr]).toEqual([
        command,
        0,
        'No changes: the platform matches the project (7 objects).\n',
        '',
      ]);
    }
  });

  it('trains the applied spec with its search, serves the winner and predicts', async () => {
    // The team's producer: a Kafka user allowed its ingest topic only, and kcat with its properties file.
    const properties = join(parent, 'client.properties');
    const grant = await flywheel(
      ...['auth', 'kafka', '--tokens-file', join(dataDir, 'auth', 'tokens.json'), '--team', 'growth'],
      ...['--produce', 'flywheel.ingest.churn', '--out', properties, '--bootstrap', `127.0.0.1:${kafkaPort}`],
    );
    expect(grant.code).toBe(0);
    // The running broker takes the new user from the Kafka-access file, without a restart.
    await waitForLine(running!, /Kafka users and ACLs reloaded from .*kafka-access\.json/, 10_000);
    const produced = await kcat(['-F', properties, '-P', '-t', 'flywheel.ingest.churn', '-l', join(parent, 'churn.jsonl')]);
    expect(produced).toEqual({ code: 0, stderr: expect.not.stringMatching(/error/i) });
    // Committed by the dataset's commit policy (every 5 s).
    const committedRows = async () => {
      const listed = await flywheel('datasets', 'versions', 'churn', '--json');
      return listed.code === 0 ? ((JSON.parse(listed.stdout) as { cumulativeRowCount: number }[])[0]?.cumulativeRowCount ?? 0) : 0;
    };
    let committed = 0;
    await eventually(async () => (committed = await committedRows()) >= 600, 90_000, 1000);
    expect(committed).toBe(600);

    const ingest = await flywheel('datasets', 'ingest', 'churn', '--file', join(parent, 'churn.csv'), '--commit');
    expect([ingest.code, ingest.stderr]).toEqual([0, expect.stringMatching(/sent 600 of 600 rows\n$/)]);

    // A typo is refused at the door, naming the request's own field, and no run is queued.
    const typo = await flywheel('train', 'churn', '--feature-view', 'churn_features', '--label', 'chruned', '--algo', 'logreg');
    expect([typo.code, typo.stdout, typo.stderr]).toEqual([
      2,
      '',
      'flywheel: train: invalid argument: spec.label: dataset "churn" of feature view "churn_features" has no column "chruned" ' +
        '(columns: customer_id, tenure, monthly_spend, churned, event_time)\n',
    ]);

    const train = await flywheel('train', 'churn', '--wait');
    expect([train.code, train.stdout]).toEqual([
      0,
      expect.stringMatching(/^run \S+ succeeded, roc_auc 0\.\d{4} on the holdout \(best of 2 trials: C=(0\.1|1)\)\n$/),
    ]);

    // Promoted to production, which the deployment the project declared follows.
    let deployments = '';
    await eventually(
      async () => /churn\s+churn\s+production\s+stable\s+v1/.test((deployments = (await flywheel('deployments', 'list')).stdout)),
      60_000,
      500,
    );
    expect(deployments).toMatch(/churn\s+churn\s+production\s+stable\s+v1/);
    const predicted = await flywheel('predict', 'churn', '--features', 'tenure=2,log_spend=3.5', '--json');
    expect(predicted.code).toBe(0);
    const prediction = JSON.parse(predicted.stdout) as { requestId: string };
    // A boolean label is answered as a boolean.
    expect(prediction).toMatchObject({ modelName: 'churn', modelVersion: 1, output: { boolValue: expect.any(Boolean) } });

    // Ground truth from a CSV: the good label recorded, the bad one refused with its line, exit 3.
    const labels = join(parent, 'labels.csv');
    writeFileSync(labels, `request_id,label\n${prediction.requestId},True\nhas space,False\n`);
    const feedback = await flywheel('feedback', 'churn', '--file', labels);
    expect([feedback.code, feedback.stderr]).toEqual([3, 'flywheel: feedback: 1 of 2 labels refused\n']);
    expect(feedback.stdout).toMatch(/churn\s+2\s+1\s+1/);
    expect(feedback.stdout).toMatch(/line 3\s+has space\s+labels\[1\]\.request_id: must be 1 to 128 printable ASCII characters/);
    writeFileSync(labels, `request_id,label\n${prediction.requestId},True\n`);
    expect((await flywheel('feedback', 'churn', '--file', labels)).code).toBe(0);

    // A window of live traffic unlike the training data (every customer two months in) is judged
    // against the version's training profile: tenure drifted.
    for (let i = 0; i < 40; i++)
      expect((await flywheel('predict', 'churn', '--features', `tenure=2,log_spend=${3 + (i % 5) / 10}`)).code).toBe(0);
    let drift = await flywheel('drift', 'churn', '--json');
    for (const deadline = Date.now() + 60_000; drift.code !== 0 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 1000));
      drift = await flywheel('drift', 'churn', '--json');
    }
    expect([drift.code, drift.stderr]).toEqual([0, '']);
    const report = JSON.parse(drift.stdout) as { modelVersion: number; features: { feature: string; drifted: boolean }[] };
    expect(report.modelVersion).toBe(1);
    expect(report.features.find((f) => f.feature === 'tenure')?.drifted).toBe(true);

    // Out of the platform: the training set, the served model and the run's holdout, each
    // checked against its recorded sha256, and the model scored offline on the exported set.
    const trainCsv = join(parent, 'train.csv');
    const exported = await flywheel('features', 'historical', 'churn_features', '--columns', 'churned', '--out', trainCsv, '--json');
    expect([exported.code, JSON.parse(exported.stdout)]).toEqual([
      0,
      expect.objectContaining({ file: trainCsv, rowCount: 1200, columns: ['customer_id', 'event_time', 'churned', 'tenure', 'log_spend'] }),
    ]);
    expect(readFileSync(trainCsv, 'utf8').split('\n')[0]).toBe('customer_id,event_time,churned,tenure,log_spend');
    const modelJson = join(parent, 'model.json');
    const model = await flywheel('models', 'download', 'churn', '--out', modelJson);
    expect([model.code, model.stdout]).toEqual([
      0,
      expect.stringMatching(/model\.json\s+[\d.]+ (B|KiB)\s+application\/json\s+[0-9a-f]{64}/),
    ]);
    const evaluated = await flywheel('ml', 'eval', '--model', modelJson, '--data', trainCsv);
    expect([evaluated.code, evaluated.stdout]).toEqual([0, expect.stringMatching(/rocAuc\s+0\.\d+/)]);
    // The same version as ONNX: onnxruntime answers the probabilities the model file gives.
    const onnxFile = join(parent, 'churn.onnx');
    const asOnnx = await flywheel('models', 'export', 'churn', 'production', '--out', onnxFile);
    expect([asOnnx.code, asOnnx.stdout]).toEqual([0, expect.stringMatching(/churn\.onnx\s+churn\s+\d+\s+onnx\s+[\d.]+ KiB/)]);
    const native = loadModel(readFileSync(modelJson, 'utf8'));
    const rows = parseCsv(readFileSync(trainCsv));
    const expected = native.predictTable(rows);
    const runtime = new OnnxRuntime();
    try {
      const session = await runtime.load(readFileSync(onnxFile));
      const { probabilities } = await runtime.run(session, exportedFeeds(native.artifact, rows));
      if (expected.task === 'regression') throw new Error('churn is a classifier');
      const worst = Array.from(expected.probabilities[1]).reduce(
        (w, p, i) => Math.max(w, Math.abs(p - (probabilities.data as Float64Array)[2 * i + 1])),
        0,
      );
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await runtime.close();
    }
    const runId = /^run (\S+) succeeded/.exec(train.stdout)![1]!;
    const holdout = await flywheel('runs', 'download', runId, '--holdout', '--out', join(parent, 'holdout.csv'));
    expect(holdout.code).toBe(0);
    expect(readFileSync(join(parent, 'holdout.csv'), 'utf8').split('\n')[0]).toMatch(/^customer_id,event_time,/);
  });

  it('plans and applies an edit, refuses a contract change with nothing applied, and replays the quarantine after a relaxed one', async () => {
    const edited = join(parent, 'edited.yaml');
    writeFileSync(edited, PROJECT.replace('windowSize: 40,', 'windowSize: 60,').replace('trafficShare: 0.2', 'trafficShare: 0.3'));
    const plan = await flywheel('plan', '-f', edited);
    expect([plan.code, plan.stdout]).toEqual([0, expect.stringContaining('~ change monitoring policy churn')]);
    expect(plan.stdout).toContain('    windowSize: 40 → 60\n');
    expect(plan.stdout).toContain('    canary.trafficShare: 0.2 → 0.3\n');
    expect((await flywheel('apply', '-f', edited)).code).toBe(0);
    expect((await flywheel('plan', '-f', edited)).stdout).toBe('No changes: the platform matches the project (7 objects).\n');

    const broken = join(parent, 'broken.yaml');
    writeFileSync(
      broken,
      PROJECT.replace('name: tenure, type: double', 'name: tenure, type: integer').replace('windowSize: 40,', 'windowSize: 80,'),
    );
    const refused = await flywheel('apply', '-f', broken);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('    contract.columns[tenure].type: double → integer\n');
    expect(refused.stderr).toMatch(/^flywheel: apply: nothing applied: dataset churn: .*column "tenure" cannot change type/);
    // The monitoring change in the same file was not applied either.
    expect((await flywheel('plan', '-f', edited)).stdout).toBe('No changes: the platform matches the project (7 objects).\n');

    // Refunds arrive as negative spend, which the contract quarantines; relaxing it lets them back in.
    const refunds = join(parent, 'refunds.csv');
    writeFileSync(
      refunds,
      'customer_id,tenure,monthly_spend,churned,event_time\nr1,3,-5,False,2026-11-20T00:00:00Z\nr2,4,-7.5,True,2026-11-20T00:01:00Z\n',
    );
    const quarantined = await flywheel('datasets', 'ingest', 'churn', '--file', refunds, '--commit', '--max-quarantine-share', '1');
    expect(quarantined.stdout).toMatch(/\n\s*2\s+0\s+2\s+0\s+-\n/);
    const relaxed = join(parent, 'relaxed.yaml');
    writeFileSync(
      relaxed,
      readFileSync(edited, 'utf8').replace(
        '{ name: monthly_spend, type: double, min: 0 }',
        '{ name: monthly_spend, type: double, min: -1000 }',
      ),
    );
    const relax = await flywheel('apply', '-f', relaxed);
    expect([relax.code, relax.stdout]).toEqual([0, expect.stringContaining('~ change dataset churn')]);
    expect(relax.stdout).toContain('    contract.columns[monthly_spend].min: 0 → -1000\n');
    const replay = await flywheel('datasets', 'replay', 'churn', '--commit');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/\n\s*2\s+2\s+0\s+0\s+0\s+\d+\n$/);
    expect((await flywheel('datasets', 'quarantine', 'churn')).stdout.trim().split('\n')).toHaveLength(2);
    expect((await flywheel('plan', '-f', relaxed)).stdout).toBe('No changes: the platform matches the project (7 objects).\n');
  });
});
