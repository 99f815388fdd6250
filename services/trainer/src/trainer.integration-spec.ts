import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  commonV1,
  ConsumedEvents,
  decodeEvent,
  dlqTopic,
  type EventEnvelope,
  GrpcServices,
  RunCompletedEvent,
  RunFailedEvent,
  TrainModelCommand,
  trainerV1,
  Topics,
} from '@flywheel/contracts';
import { DeadLetterHeaders } from '@flywheel/messaging';
import { loadModel, parseCsv } from '@flywheel/ml';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { type MinioObjectStore, parseObjectKey, sha256Hex } from '@flywheel/storage';
import {
  countRecords,
  grpcError,
  readRecords,
  runFlywheel,
  type ServiceInfrastructure,
  startServiceInfrastructure,
  waitFor,
} from '@flywheel/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { claimsCsv, FEATURE_VIEW, objectStoreOf, producedEvent, StoredTrainingSetFeatureStore } from './testing/claims-training-set';
import { runFinished } from './testing/run-finished';
import { startTrainerService } from './trainer.app';
import { MIN_HALVING_ROWS } from './training/training-pipeline';
import { type TrainerConfig } from './trainer.config';

jest.setTimeout(120_000);

type TrainerClient = GrpcClient<trainerV1.TrainerServiceController>;

const ROWS = 300;

function spec(overrides: Partial<trainerV1.ModelSpec> = {}): trainerV1.ModelSpec {
  return trainerV1.ModelSpec.fromPartial({
    modelName: 'fraud',
    featureView: FEATURE_VIEW,
    label: 'is_fraud',
    task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
    algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
    metric: 'accuracy',
    evaluation: { recentFraction: 0.2 },
    seed: 42,
    ...overrides,
  });
}

describe('trainer service (PostgreSQL, Kafka broker, S3)', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<TrainerConfig>;
  let featureStore: StoredTrainingSetFeatureStore;
  let objects: MinioObjectStore;
  let kafka: Kafka;
  let producer: Producer;
  const clients: TrainerClient[] = [];
  const client = (token?: string): TrainerClient => {
    const created = createGrpcClient<trainerV1.TrainerServiceController>(GrpcServices.trainer, { address: service.grpcAddress, token });
    clients.push(created);
    return created;
  };

  async function trainerEvents(): Promise<EventEnvelope[]> {
    const count = await countRecords(kafka, Topics.trainerEvents);
    if (count === 0) return [];
    const records = await readRecords(kafka, Topics.trainerEvents, count);
    return records.map((record) => decodeEvent(record, ConsumedEvents.all()));
  }

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    const env = await infra.serviceEnv('trainer', { TRAINING_POLL_INTERVAL_MS: '200', FLYWHEEL_CODE_VERSION: 'test-build' });
    objects = objectStoreOf(env);
    featureStore = new StoredTrainingSetFeatureStore();
    await featureStore.publish(objects, claimsCsv(ROWS));
    service = await startTrainerService(env, { featureStore });
    kafka = new Kafka({ clientId: 'trainer-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    for (const created of clients) created.close();
    await producer?.disconnect();
    await service?.shutdown('tests finished');
    await infra?.stop();
  });

  it('reports its database, Kafka and object store on /healthz', async () => {
    const response = await fetch(`${service.httpUrl}/healthz`);
    const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(response.status).toBe(200);
    expect(body.status).toBe('ok');
    for (const check of ['database', 'kafka', 'object-store', 'outbox', 'grpc']) expect(body.checks[check]?.status).toBe('up');
  });

  it('refuses a call without a token and a reader submitting training', async () => {
    expect((await grpcError(client().listRuns({ modelName: '', status: 0, page: undefined, parentRunId: '' }))).code).toBe(
      GrpcStatus.UNAUTHENTICATED,
    );
    const denied = await grpcError(client(infra.tokens.reader).submitTraining({ spec: spec(), requestId: '' }));
    expect(denied.code).toBe(GrpcStatus.PERMISSION_DENIED);
  });

  it('names the bad fields of a spec', async () => {
    const error = await grpcError(
      client(infra.tokens.writer).submitTraining({
        spec: spec({ modelName: 'Fraud Model', metric: 'rmse', params: { C: { numberValue: -1 } } }),
        requestId: '',
      }),
    );
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.details).toContain('spec.model_name: must match');
    expect(error.details).toContain('spec.metric: must be one of accuracy');
    expect(error.details).toContain('spec.params.C: parameter "C": expected a number > 0');
  });

  it('serves the default retraining policy (disabled) and stores a new one for promoters only', async () => {
    const reader = client(infra.tokens.reader);
    expect((await reader.getRetrainingPolicy({ modelName: 'fraud' })).policy).toMatchObject({
      modelName: 'fraud',
      enabled: false,
      dailyBudget: 3,
    });
    const policy = trainerV1.RetrainingPolicy.fromPartial({
      modelName: 'fraud',
      enabled: true,
      cooldown: { seconds: 600, nanos: 0 },
      dailyBudget: 2,
      minNewRows: 50,
      onDrift: true,
    });
    expect((await grpcError(client(infra.tokens.writer).setRetrainingPolicy({ policy }))).code).toBe(GrpcStatus.PERMISSION_DENIED);
    await client(infra.tokens.promoter).setRetrainingPolicy({ policy });
    expect((await reader.getRetrainingPolicy({ modelName: 'fraud' })).policy).toMatchObject({
      enabled: true,
      cooldown: { seconds: 600, nanos: 0 },
      dailyBudget: 2,
      minNewRows: 50,
      onDrift: true,
      onPerformanceDegraded: false,
    });
  });

  it('trains a submitted spec in the background and records the run, its artifact and its holdout', async () => {
    const writer = client(infra.tokens.writer);
    const submitted = (await writer.submitTraining({ spec: spec(), requestId: 'fraud-first' })).run!;
    expect(submitted.status).toBe(trainerV1.RunStatus.RUN_STATUS_QUEUED);
    expect((await writer.submitTraining({ spec: spec(), requestId: 'fraud-first' })).run!.runId).toBe(submitted.runId);

    const run = await runFinished(writer, submitted.runId);
    expect(run.error).toBe('');
    expect(run.status).toBe(trainerV1.RunStatus.RUN_STATUS_SUCCEEDED);
    expect(run.trigger).toBe(trainerV1.RunTrigger.RUN_TRIGGER_API);
    expect(run.actor).toMatchObject({ team: 'fraud' });
    expect(run.metrics.accuracy).toBeGreaterThan(0.75);
    expect(Object.keys(run.metrics).sort()).toEqual(['accuracy', 'brier', 'f1', 'log_loss', 'precision', 'recall', 'roc_auc']);
    expect(run.params).toMatchObject({ C: { numberValue: 1 } });
    expect(run.lineage).toMatchObject({
      runId: run.runId,
      dataset: 'claims',
      datasetVersionFrom: 1,
      datasetVersionTo: 3,
      featureView: FEATURE_VIEW,
      featureViewRevision: 1,
      features: ['amount', 'age', 'channel'],
      label: 'is_fraud',
      seed: 42,
      codeVersion: 'test-build',
    });
    expect(run.duration!.seconds * 1000 + run.duration!.nanos / 1e6).toBeGreaterThan(0);
    expect(featureStore.requests[0]).toMatchObject({ featureView: FEATURE_VIEW, datasetSpine: { extraColumns: ['is_fraud'] } });

    // The artifact is a model that loads, and its bytes are the ones the run recorded.
    expect(run.artifact!.key).toBe(`models/fraud/${run.runId}/model.json`);
    const artifactBytes = await objects.get(parseObjectKey(run.artifact!.key), { expectedSha256: run.artifact!.sha256 });
    expect(sha256Hex(artifactBytes)).toBe(run.artifact!.sha256);
    const model = loadModel(artifactBytes.toString('utf8'));
    expect(model.task).toBe('binary');
    expect(model.artifact.seed).toBe(42);

    // The holdout is the most recent 20% of the rows, by event time.
    expect(run.holdout).toMatchObject({ rowCount: 60, labelColumn: 'is_fraud' });
    const holdout = parseCsv(await objects.get(parseObjectKey(run.holdout!.data!.key), { expectedSha256: run.holdout!.data!.sha256 }));
    expect(holdout.nRows).toBe(60);
    expect(holdout.columns.map((c) => c.name)).toEqual(['claim_id', 'event_time', 'amount', 'age', 'channel', 'is_fraud']);
    expect(run.holdout!.eventTimeRange!.start).toEqual(new Date(Date.UTC(2025, 0, 1) + 240 * 60_000));

    let completed: EventEnvelope<trainerV1.RunCompleted> | undefined;
    await waitFor(
      async () => {
        completed = (await trainerEvents()).find(
          (e) => e.type === RunCompletedEvent.typeName && (e.data as trainerV1.RunCompleted).runId === run.runId,
        ) as typeof completed;
        return completed !== undefined;
      },
      20_000,
      'RunCompleted',
    );
    expect(completed!.key).toBe('fraud');
    expect(completed!.causationId).toBeNull();
    expect(completed!.data).toMatchObject({ modelName: 'fraud', metrics: run.metrics, artifact: run.artifact, holdout: { rowCount: 60 } });
  });

  it('dead-letters a TrainModel for a model the trainer does not know, with the reason, and starts no run', async () => {
    const forged = producedEvent(
      TrainModelCommand,
      trainerV1.TrainModel.fromPartial({ spec: spec({ modelName: 'evil' }), trigger: trainerV1.RunTrigger.RUN_TRIGGER_COMMAND }),
      'evil',
      'flywheel/intruder',
    );
    await producer.send({ topic: Topics.trainerCommands, messages: [forged] });
    const [parked] = await readRecords(kafka, dlqTopic(Topics.trainerCommands), 1, 30_000);
    expect(parked.headers[DeadLetterHeaders.error]).toBe(
      `TrainModel ${forged.id} from intruder refused: the trainer knows no model evil (no retraining policy, no successful run); ` +
        'set its policy or train it with SubmitTraining',
    );
    expect(
      (await client(infra.tokens.reader).listRuns({ modelName: 'evil', status: 0, page: undefined, parentRunId: '' })).runs,
    ).toHaveLength(0);
  });

  it('trains a TrainModel command its policy admits, with a search, naming the command as the cause of RunCompleted', async () => {
    // Commands are judged by the model's retraining policy: switched on, no budget spent.
    await client(infra.tokens.promoter).setRetrainingPolicy({
      policy: trainerV1.RetrainingPolicy.fromPartial({
        modelName: 'fraud-search',
        enabled: true,
        dailyBudget: 5,
        cooldown: { seconds: 0, nanos: 0 },
      }),
    });
    const command = producedEvent(
      TrainModelCommand,
      trainerV1.TrainModel.fromPartial({
        spec: spec({
          modelName: 'fraud-search',
          searchSpace: {
            parameters: [{ name: 'C', choices: { values: [{ numberValue: 0.01 }, { numberValue: 1 }, { numberValue: 100 }] } }],
            strategy: trainerV1.SearchStrategy.SEARCH_STRATEGY_UNSPECIFIED,
            maxTrials: 0,
            gridPoints: 0,
          },
        }),
        trigger: trainerV1.RunTrigger.RUN_TRIGGER_COMMAND,
        reason: 'weekly retraining',
      }),
      'fraud-search',
      'flywheel/scheduler',
    );
    await producer.send({ topic: Topics.trainerCommands, messages: [command, command] });

    const writer = client(infra.tokens.writer);
    let runs: trainerV1.Run[] = [];
    await waitFor(
      async () => {
        runs = (await writer.listRuns({ modelName: 'fraud-search', status: 0, page: undefined, parentRunId: '' })).runs;
        return runs.length > 0;
      },
      30_000,
      'the command to become a run',
    );
    const run = await runFinished(writer, runs[0]!.runId);
    expect(run.status).toBe(trainerV1.RunStatus.RUN_STATUS_SUCCEEDED);
    expect(run).toMatchObject({
      trigger: trainerV1.RunTrigger.RUN_TRIGGER_COMMAND,
      causeEventId: command.id,
      actor: { service: 'scheduler' },
    });
    expect(run.trials.map((t) => t.params.C!.numberValue)).toEqual([0.01, 1, 100]);
    const best = Math.max(...run.trials.map((t) => t.metricValue));
    expect(run.params.C!.numberValue).toBe(run.trials.find((t) => t.metricValue === best)!.params.C!.numberValue);

    // Each trial is a run of its own, a child of the search's: listed under it in the order
    // tried, read and compared like any run, with the spec that fits it again.
    const metric = run.spec!.metric;
    const trialRuns = (await writer.listRuns({ modelName: '', status: 0, page: undefined, parentRunId: run.runId })).runs;
    expect(trialRuns.map((t) => t.runId)).toEqual(run.trials.map((t) => t.runId));
    for (const [i, trialRun] of trialRuns.entries()) {
      const trial = run.trials[i]!;
      expect(trialRun).toMatchObject({
        parentRunId: run.runId,
        status: trainerV1.RunStatus.RUN_STATUS_SUCCEEDED,
        trigger: trainerV1.RunTrigger.RUN_TRIGGER_COMMAND,
        params: trial.params,
        metrics: { [metric]: trial.metricValue },
        trials: [],
        actor: { service: 'scheduler' },
      });
      expect(trialRun.spec).toMatchObject({ modelName: 'fraud-search', params: trial.params });
      expect(trialRun.spec!.searchSpace).toBeUndefined();
      expect(trialRun.endTime!.getTime()).toBeGreaterThanOrEqual(trialRun.startTime!.getTime());
      expect(trialRun.startTime!.getTime()).toBeGreaterThanOrEqual(run.startTime!.getTime());
      expect(trialRun.artifact).toBeUndefined();
      expect((await writer.getRun({ runId: trialRun.runId })).run).toEqual(trialRun);
    }
    const comparison = await writer.compareRuns({ runIds: trialRuns.map((t) => t.runId) });
    expect(comparison.differingParams).toEqual(['C']);
    expect(comparison.bestRunId).toBe(run.trials.find((t) => t.metricValue === best)!.runId);

    let completed: EventEnvelope | undefined;
    await waitFor(
      async () => {
        completed = (await trainerEvents()).find(
          (e) => e.type === RunCompletedEvent.typeName && (e.data as trainerV1.RunCompleted).runId === run.runId,
        );
        return completed !== undefined;
      },
      20_000,
      'RunCompleted',
    );
    expect(completed!.causationId).toBe(command.id);
    // Delivered twice, the command made one run.
    expect((await writer.listRuns({ modelName: 'fraud-search', status: 0, page: undefined, parentRunId: '' })).runs).toHaveLength(1);
  });

  it('fails a run whose label is not in the training set, with RunFailed and the reason', async () => {
    const writer = client(infra.tokens.writer);
    const submitted = (await writer.submitTraining({ spec: spec({ modelName: 'fraud-typo', label: 'is_fruad' }), requestId: '' })).run!;
    const run = await runFinished(writer, submitted.runId);
    expect(run.status).toBe(trainerV1.RunStatus.RUN_STATUS_FAILED);
    expect(run.failureCode).toBe(trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC);
    expect(run.error).toContain('label column "is_fruad" is not in the training set');

    let failed: EventEnvelope<trainerV1.RunFailed> | undefined;
    await waitFor(
      async () => {
        failed = (await trainerEvents()).find(
          (e) => e.type === RunFailedEvent.typeName && (e.data as trainerV1.RunFailed).runId === run.runId,
        ) as typeof failed;
        return failed !== undefined;
      },
      20_000,
      'RunFailed',
    );
    expect(failed!.data).toMatchObject({
      modelName: 'fraud-typo',
      failureCode: trainerV1.FailureCode.FAILURE_CODE_INVALID_SPEC,
      error: run.error,
    });
  });

  it('compares runs side by side and lists them newest first', async () => {
    const reader = client(infra.tokens.reader);
    const succeeded = (
      await reader.listRuns({ modelName: '', status: trainerV1.RunStatus.RUN_STATUS_SUCCEEDED, page: undefined, parentRunId: '' })
    ).runs;
    expect(succeeded.map((r) => r.spec!.modelName)).toEqual(['fraud-search', 'fraud']);
    const comparison = await reader.compareRuns({ runIds: succeeded.map((r) => r.runId) });
    expect(comparison.metricNames).toEqual(['accuracy', 'brier', 'f1', 'log_loss', 'precision', 'recall', 'roc_auc']);
    const accuracies = comparison.runs.map((r) => r.metrics.accuracy!);
    expect(comparison.bestRunId).toBe(comparison.runs[accuracies.indexOf(Math.max(...accuracies))]!.runId);
    const firstPage = await reader.listRuns({ modelName: '', status: 0, page: { pageSize: 2, pageToken: '' }, parentRunId: '' });
    const secondPage = await reader.listRuns({
      modelName: '',
      status: 0,
      page: { pageSize: 2, pageToken: firstPage.page!.nextPageToken },
      parentRunId: '',
    });
    expect([...firstPage.runs, ...secondPage.runs].map((r) => r.spec!.modelName)).toEqual(['fraud-typo', 'fraud-search', 'fraud']);
    expect(secondPage.page!.nextPageToken).toBe('');
    expect((await grpcError(reader.getRun({ runId: '00000000-0000-4000-8000-000000000000' }))).code).toBe(GrpcStatus.NOT_FOUND);
  });

  it('races a halving search: each round fits the best of the last on three times the rows, and the winner is the model', async () => {
    // Enough rows for three rounds of 9 → 3 → 1 candidates above the first round's floor.
    await featureStore.publish(objects, claimsCsv(3000));
    const writer = client(infra.tokens.writer);
    const halving = spec({
      modelName: 'fraud-halving',
      searchSpace: {
        parameters: [{ name: 'C', range: { min: 0.001, max: 100, logScale: true, integer: false } }],
        strategy: trainerV1.SearchStrategy.SEARCH_STRATEGY_HALVING,
        maxTrials: 9,
        gridPoints: 0,
      },
    });
    const run = await runFinished(writer, (await writer.submitTraining({ spec: halving, requestId: '' })).run!.runId);
    expect(run.status).toBe(trainerV1.RunStatus.RUN_STATUS_SUCCEEDED);

    const rows = [...new Set(run.trials.map((t) => t.rows))];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toBeGreaterThanOrEqual(MIN_HALVING_ROWS);
    expect(rows).toEqual([rows[0], 3 * rows[0]!, 9 * rows[0]!]);
    const rounds = rows.map((r) => run.trials.filter((t) => t.rows === r));
    expect(rounds.map((round) => round.length)).toEqual([9, 3, 1]);
    const c = (t: trainerV1.Trial): number => t.params.C!.numberValue!;
    // The first round's scores differ, so picking its best is a real choice.
    expect(new Set(rounds[0]!.map((t) => t.metricValue)).size).toBeGreaterThan(2);
    for (let k = 1; k < rounds.length; k++) {
      // The survivors are the previous round's best by accuracy (the first tried wins a tie), in the order first tried.
      const previous = rounds[k - 1]!.map((t, i) => ({ t, i }));
      previous.sort((a, b) => b.t.metricValue - a.t.metricValue || a.i - b.i);
      const best = previous.slice(0, rounds[k]!.length).sort((a, b) => a.i - b.i);
      expect(rounds[k]!.map(c)).toEqual(best.map(({ t }) => c(t)));
    }
    // The last round's winner, fitted on every training row, is the run's model.
    expect(run.params.C!.numberValue).toBe(c(rounds[2]![0]!));
    const artifact = loadModel(
      (await objects.get(parseObjectKey(run.artifact!.key), { expectedSha256: run.artifact!.sha256 })).toString('utf8'),
    );
    expect(artifact.artifact.parameters.C).toBe(c(rounds[2]![0]!));
    expect(artifact.artifact.training.rows).toBeGreaterThan(rows[2]!);
    await featureStore.publish(objects, claimsCsv(ROWS));
  });

  it('flywheel train --wait exits 0 only for a run that succeeded, and 3 with the reason for one that failed', async () => {
    const train = (model: string, label: string) =>
      runFlywheel(['train', model, '--feature-view', FEATURE_VIEW, '--label', label, '--algo', 'logreg', '--seed', '42', '--wait'], {
        FLYWHEEL_TOKEN: infra.tokens.writer,
        TRAINER_GRPC_ADDRESS: service.grpcAddress,
      });
    const [good, typo] = await Promise.all([train('fraud-cli', 'is_fraud'), train('fraud-cli-typo', 'is_fruad')]);
    expect(good.code).toBe(0);
    // Progress on stderr: each status the run was seen in, with the time waited.
    expect(good.stderr).toMatch(/^(run [0-9a-f-]{36} (queued|running) after \d+ s\n)+$/);
    expect(good.stdout).toMatch(/^run [0-9a-f-]{36} succeeded, accuracy \d\.\d{4} on the holdout\n$/);
    expect(typo.code).toBe(3);
    expect(typo.stdout).toMatch(/^run [0-9a-f-]{36} failed: .*label column "is_fruad" is not in the training set/);
    expect(typo.stderr).toMatch(
      /\nflywheel: train: run [0-9a-f-]{36} failed \(invalid_spec\): .*label column "is_fruad" is not in the training set.*\n$/,
    );
  });

  it('flywheel train --search runs a search from the command line, its trials child runs', async () => {
    const env = { FLYWHEEL_TOKEN: infra.tokens.writer, TRAINER_GRPC_ADDRESS: service.grpcAddress };
    const base = ['train', 'fraud-cli-search', '--feature-view', FEATURE_VIEW, '--label', 'is_fraud', '--algo', 'logreg', '--seed', '7'];
    const searched = await runFlywheel(
      [...base, '--search', 'C=0.01,1', '--search', 'max_iter=50..200:int', '--max-trials', '3', '--wait'],
      env,
    );
    expect(searched.code).toBe(0);
    const runId = /^run ([0-9a-f-]{36}) succeeded, accuracy \d\.\d{4} on the holdout \(best of 3 trials: C=[\d.]+ max_iter=\d+\)\n$/.exec(
      searched.stdout,
    )?.[1];
    expect(runId).toBeDefined();
    const run = (await client(infra.tokens.reader).getRun({ runId: runId! })).run!;
    expect(run.spec!.searchSpace).toMatchObject({
      parameters: [
        { name: 'C', choices: { values: [{ numberValue: 0.01 }, { numberValue: 1 }] } },
        { name: 'max_iter', range: { min: 50, max: 200, logScale: false, integer: true } },
      ],
      strategy: trainerV1.SearchStrategy.SEARCH_STRATEGY_UNSPECIFIED,
      maxTrials: 3,
    });
    expect(run.trials).toHaveLength(3);
    for (const [args, message] of [
      [['--search', 'C=1', '--search-strategy', 'best'], /--search-strategy must be grid, random or halving, got "best"/],
      [['--max-trials', '3'], /--search-strategy and --max-trials need --search/],
      [['--search', 'C=5..1'], /--search C: a range is <low>..<high> with low ≤ high, got "5..1"/],
    ] as const) {
      const bad = await runFlywheel([...base, ...args], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
  });
});
