import { monitorEventLoopDelay } from 'node:perf_hooks';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Client as PgClient } from 'pg';
import { commonV1, GrpcServices, trainerV1 } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import {
  type FlywheelRun,
  grpcError,
  grpcHealthClient,
  runFlywheel,
  type ServiceInfrastructure,
  startServiceInfrastructure,
  waitFor,
} from '@flywheel/testing';
import { claimsCsv, FEATURE_VIEW, objectStoreOf, StoredTrainingSetFeatureStore } from '../testing/claims-training-set';
import { runFinished } from '../testing/run-finished';
import { startTrainerService } from '../trainer.app';
import { type TrainerConfig } from '../trainer.config';
import { TrainingWorker } from './training-worker';

jest.setTimeout(300_000);

type TrainerClient = GrpcClient<trainerV1.TrainerServiceController>;

const ROWS = 50_000;

/** The real `flywheel` bin against the trainer in this process. */
function flywheel(address: string, token: string, args: string[]): Promise<FlywheelRun> {
  return runFlywheel(args, { FLYWHEEL_TOKEN: token, TRAINER_GRPC_ADDRESS: address });
}

/** A gradient-boosted search of 8 trials (2 × 2 × 2 grid). */
function searchSpec(modelName: string): trainerV1.ModelSpec {
  const choices = (...values: number[]) => ({ values: values.map((numberValue) => ({ numberValue })) });
  return trainerV1.ModelSpec.fromPartial({
    modelName,
    featureView: FEATURE_VIEW,
    label: 'is_fraud',
    task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
    algorithm: commonV1.Algorithm.ALGORITHM_GRADIENT_BOOSTED_TREES,
    params: { maxIter: { numberValue: 40 } },
    searchSpace: {
      parameters: [
        { name: 'learningRate', choices: choices(0.05, 0.2) },
        { name: 'maxLeafNodes', choices: choices(15, 31) },
        { name: 'l2Regularization', choices: choices(0, 1) },
      ],
      strategy: trainerV1.SearchStrategy.SEARCH_STRATEGY_GRID,
      maxTrials: 0,
      gridPoints: 0,
    },
    metric: 'roc_auc',
    evaluation: { recentFraction: 0.2 },
    seed: 7,
  });
}

/**
 * Calls /healthz and the gRPC health check every 100 ms until stopped, keeping the slowest answer
 * of each: a fit on the event loop would hold them for as long as it ran. The gRPC call is the
 * cheapest the trainer serves, so its time is the event loop's and not PostgreSQL's, which on a
 * busy two-core machine has answered in 400 ms while the loop was never late.
 */
function pollWhileTraining(service: RunningService<TrainerConfig>) {
  const health = grpcHealthClient(service.grpcAddress);
  const slowest = { healthz: 0, grpc: 0, calls: 0, loopDelay: 0 };
  let stopped = false;
  // The trainer runs in this process: how late its event loop ran, measured directly.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const healthz = await fetch(`${service.httpUrl}/healthz`);
      slowest.healthz = Math.max(slowest.healthz, performance.now() - started);
      expect(healthz.status).toBe(200);
      const grpcStarted = performance.now();
      expect(await health.check(`${GrpcServices.trainer.packageName}.${GrpcServices.trainer.serviceName}`)).toBe('SERVING');
      slowest.grpc = Math.max(slowest.grpc, performance.now() - grpcStarted);
      slowest.calls++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    slowest,
    stop: async () => {
      stopped = true;
      await loop;
      health.close();
      delay.disable();
      slowest.loopDelay = delay.max / 1e6;
    },
  };
}

describe('training on threads (PostgreSQL, Kafka broker, S3)', () => {
  let infra: ServiceInfrastructure;
  let featureStore: StoredTrainingSetFeatureStore;
  const services: Array<RunningService<TrainerConfig>> = [];
  const clients: TrainerClient[] = [];

  async function trainer(env: Record<string, string> = {}): Promise<{ service: RunningService<TrainerConfig>; client: TrainerClient }> {
    const service = await startTrainerService(await infra.serviceEnv('trainer', { TRAINING_POLL_INTERVAL_MS: '200', ...env }), {
      featureStore,
    });
    services.push(service);
    const client = createGrpcClient<trainerV1.TrainerServiceController>(GrpcServices.trainer, {
      address: service.grpcAddress,
      token: infra.tokens.writer,
    });
    clients.push(client);
    return { service, client };
  }

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    const env = await infra.serviceEnv('trainer');
    const objects = objectStoreOf(env);
    featureStore = new StoredTrainingSetFeatureStore();
    await featureStore.publish(objects, claimsCsv(ROWS));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const service of services) await service.shutdown('tests finished');
    await infra?.stop();
  });

  it('runs a gradient-boosted search of 8 trials on 50,000 rows while its event loop stays free: gRPC answers every 100 ms poll within 200 ms, /healthz every one', async () => {
    // TRAINING_WORKERS as by default: every core but the event loop's.
    const { service, client } = await trainer();
    const poll = pollWhileTraining(service);
    let run: trainerV1.Run;
    try {
      const submitted = (await client.submitTraining({ spec: searchSpec('fraud-search'), requestId: 'search-8' })).run!;
      run = await runFinished(client, submitted.runId, 240_000);
    } finally {
      await poll.stop();
    }
    expect(run.error).toBe('');
    expect(run.status).toBe(trainerV1.RunStatus.RUN_STATUS_SUCCEEDED);
    expect(run.trials).toHaveLength(8);
    // The best trial's parameters are the run's, and its validation score is the highest.
    const best = Math.max(...run.trials.map((t) => t.metricValue));
    const chosen = run.trials.find((t) => t.metricValue === best)!;
    expect(run.params).toMatchObject({ learningRate: chosen.params.learningRate, maxLeafNodes: chosen.params.maxLeafNodes });
    expect(run.metrics.roc_auc).toBeGreaterThan(0.7);
    // Each trial is a child run: the command line lists them under the search, in the order tried.
    const listed = await flywheel(service.grpcAddress, infra.tokens.writer, ['runs', 'list', '--parent', run.runId]);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const rows = listed.stdout.trim().split('\n').slice(2);
    expect(rows.map((row) => row.split(/\s+/)[0])).toEqual(run.trials.map((trial) => trial.runId));
    expect(rows.every((row) => / fraud-search +succeeded /.test(row))).toBe(true);
    // A fit on the event loop held it for seconds (sockets to S3 and the feature store timed
    // out); on threads the loop only waits, and answers come as fast as their work allows: a
    // gRPC health check within 200 ms, and the loop never late by 200 ms. /healthz answers after
    // its three dependency checks (PostgreSQL, and the broker and S3 this test process also
    // serves), 15–40 ms typically, up to ~180 ms on this busy machine, so its bound is a second:
    // a blocked loop is many.
    expect(poll.slowest.calls).toBeGreaterThan(5);
    expect(poll.slowest.loopDelay).toBeLessThan(200);
    expect(poll.slowest.grpc).toBeLessThan(200);
    expect(poll.slowest.healthz).toBeLessThan(1000);
  });

  it('fails a run that passes its time budget, saying so, and keeps serving', async () => {
    const { service, client } = await trainer({ TRAINING_TIME_BUDGET_MS: '1000' });
    const submitted = (await client.submitTraining({ spec: searchSpec('fraud-slow'), requestId: 'slow' })).run!;
    const run = await runFinished(client, submitted.runId, 240_000);
    expect(run.status).toBe(trainerV1.RunStatus.RUN_STATUS_FAILED);
    expect(run.failureCode).toBe(trainerV1.FailureCode.FAILURE_CODE_TRAINING_ERROR);
    expect(run.error).toBe('training ran past its time budget of 1 s (TRAINING_TIME_BUDGET_MS)');
    expect((await fetch(`${service.httpUrl}/healthz`)).status).toBe(200);
    expect(await client.getRetrainingPolicy({ modelName: 'fraud' })).toBeDefined();
  });

  it('fails a run whose training thread outgrows its heap, saying so, and keeps serving', async () => {
    const { service, client } = await trainer({ TRAINING_WORKER_HEAP_MB: '16' });
    const submitted = (await client.submitTraining({ spec: searchSpec('fraud-big'), requestId: 'big' })).run!;
    const run = await runFinished(client, submitted.runId, 240_000);
    expect(run.status).toBe(trainerV1.RunStatus.RUN_STATUS_FAILED);
    expect(run.failureCode).toBe(trainerV1.FailureCode.FAILURE_CODE_TRAINING_ERROR);
    expect(run.error).toBe('training ran out of memory: a training thread may use 16 MB of heap (TRAINING_WORKER_HEAP_MB)');
    expect((await fetch(`${service.httpUrl}/healthz`)).status).toBe(200);
    expect(await client.getRetrainingPolicy({ modelName: 'fraud' })).toBeDefined();
  });

  it('cancels a running search from the command line: its trials stop, the run fails as cancelled with the reason, and the next run trains', async () => {
    const { service, client } = await trainer({ TRAINING_WORKERS: '1', TRAINING_MAX_CONCURRENT_JOBS: '1' });
    // Eight trials of 800 rounds each (no early stopping) on one thread: minutes, unless stopped.
    const long = { ...searchSpec('fraud-cancel'), params: { maxIter: { numberValue: 800 }, earlyStopping: { boolValue: false } } };
    const search = (await client.submitTraining({ spec: long, requestId: 'to-cancel' })).run!;
    const queued = (await client.submitTraining({ spec: searchSpec('fraud-queued'), requestId: 'queued' })).run!;
    await waitFor(
      async () => (await client.getRun({ runId: search.runId })).run?.status === trainerV1.RunStatus.RUN_STATUS_RUNNING,
      30_000,
      'the search to start',
    );
    // The run queued behind it (one job at a time) is cancelled before it starts.
    expect((await client.cancelRun({ runId: queued.runId, reason: '' })).run).toMatchObject({
      failureCode: trainerV1.FailureCode.FAILURE_CODE_CANCELLED,
      error: 'cancelled by team fraud',
    });
    const cancelled = await flywheel(service.grpcAddress, infra.tokens.writer, [
      'runs',
      'cancel',
      search.runId,
      '--reason',
      'wrong feature view',
    ]);
    expect(cancelled).toMatchObject({ code: 0, stderr: '' });
    expect(cancelled.stdout).toBe(`run ${search.runId} (fraud-cancel) failed: cancelled by team fraud: wrong feature view\n`);
    const run = (await client.getRun({ runId: search.runId })).run!;
    expect(run).toMatchObject({
      status: trainerV1.RunStatus.RUN_STATUS_FAILED,
      failureCode: trainerV1.FailureCode.FAILURE_CODE_CANCELLED,
      error: 'cancelled by team fraud: wrong feature view',
    });

    // The job ends within seconds, its thread stopped mid-trial (the search would take minutes).
    const jobs = service.app.get(TrainingWorker);
    await waitFor(() => jobs.running === 0, 20_000, 'the cancelled job to stop');
    // The one after them trains.
    const next = (await client.submitTraining({ spec: { ...searchSpec('fraud-next'), searchSpace: undefined }, requestId: 'next' })).run!;
    const trained = await runFinished(client, next.runId, 60_000);
    expect(trained.status).toBe(trainerV1.RunStatus.RUN_STATUS_SUCCEEDED);
    // The cancelled run stays as it was cancelled: the stopped job recorded nothing over it.
    expect((await client.getRun({ runId: search.runId })).run).toMatchObject({ error: 'cancelled by team fraud: wrong feature view' });
  });

  it('refuses to cancel a run that has ended, one that does not exist, a bad reason and a reader', async () => {
    const { client, service } = await trainer();
    const done = (await client.submitTraining({ spec: { ...searchSpec('fraud-done'), searchSpace: undefined }, requestId: 'done' })).run!;
    await runFinished(client, done.runId, 60_000);
    const ended = await grpcError(client.cancelRun({ runId: done.runId, reason: 'late' }));
    expect(ended).toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });
    expect(ended.details).toBe(`run ${done.runId} has already succeeded: there is nothing to cancel`);
    expect(await grpcError(client.cancelRun({ runId: '00000000-0000-4000-8000-000000000000', reason: '' }))).toMatchObject({
      code: GrpcStatus.NOT_FOUND,
    });
    const bad = await grpcError(client.cancelRun({ runId: 'nope', reason: 'x'.repeat(501) }));
    expect(bad.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(bad.details).toContain('run_id: must be a run id (uuid)');
    expect(bad.details).toContain('reason: must be at most 500 characters');
    expect((await grpcError(client.cancelRun({ runId: done.runId, reason: 'a\nb' }))).details).toContain(
      'reason: must be one line of text',
    );
    const reader = createGrpcClient<trainerV1.TrainerServiceController>(GrpcServices.trainer, {
      address: service.grpcAddress,
      token: infra.tokens.reader,
    });
    clients.push(reader);
    expect(await grpcError(reader.cancelRun({ runId: done.runId, reason: '' }))).toMatchObject({ code: GrpcStatus.PERMISSION_DENIED });
  });

  it('stays quiet with nothing to train: a claim that finds no run wakes no other claim', async () => {
    // The runs table announces status changes (what makes a cancellation heard at once); a
    // notification for a claim that changed nothing would start the next claim, and so on.
    const { service } = await trainer();
    const pg = new PgClient({ connectionString: service.config.DATABASE_URL });
    await pg.connect();
    try {
      const transactions = async () =>
        Number(
          (
            await pg.query<{ n: string }>(
              'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
            )
          ).rows[0]!.n,
        );
      await new Promise((r) => setTimeout(r, 2_000));
      const before = await transactions();
      await new Promise((r) => setTimeout(r, 3_000));
      // Polling every 200 ms (TRAINING_POLL_INTERVAL_MS here) is some 15 claims; a loop, thousands.
      expect((await transactions()) - before).toBeLessThan(200);
    } finally {
      await pg.end();
    }
  });
});
