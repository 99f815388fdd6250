import { commonV1, GrpcServices, trainerV1 } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { type ServiceInfrastructure, startServiceInfrastructure } from '@flywheel/testing';
import { claimsCsv, FEATURE_VIEW, objectStoreOf, StoredTrainingSetFeatureStore } from '../testing/claims-training-set';
import { runFinished } from '../testing/run-finished';
import { startTrainerService } from '../trainer.app';
import { type TrainerConfig } from '../trainer.config';

jest.setTimeout(300_000);

type TrainerClient = GrpcClient<trainerV1.TrainerServiceController>;

const ROWS = 50_000;

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
 * Calls /healthz and a cheap gRPC method every 100 ms until stopped, keeping the slowest answer
 * of each: a fit on the event loop would hold them for as long as it ran.
 */
function pollWhileTraining(service: RunningService<TrainerConfig>, client: TrainerClient) {
  const slowest = { healthz: 0, grpc: 0, calls: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const health = await fetch(`${service.httpUrl}/healthz`);
      slowest.healthz = Math.max(slowest.healthz, performance.now() - started);
      expect(health.status).toBe(200);
      const grpcStarted = performance.now();
      await client.getRetrainingPolicy({ modelName: 'fraud' });
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

  it('runs a gradient-boosted search of 8 trials on 50,000 rows while /healthz and gRPC answer every 100 ms poll within 200 ms', async () => {
    const { service, client } = await trainer({ TRAINING_WORKERS: '2' });
    const poll = pollWhileTraining(service, client);
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
    // A fit on the event loop held these for seconds (sockets to S3 and the feature store timed
    // out); on threads the loop only waits. 200 ms leaves room for a busy machine.
    process.stdout.write(
      `while training: ${poll.slowest.calls} polls, slowest /healthz ${poll.slowest.healthz.toFixed(1)} ms, gRPC ${poll.slowest.grpc.toFixed(1)} ms\n`,
    );
    expect(poll.slowest.calls).toBeGreaterThan(5);
    expect(poll.slowest.healthz).toBeLessThan(200);
    expect(poll.slowest.grpc).toBeLessThan(200);
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
});
