import { trainerV1 } from '@flywheel/contracts';
import { ManualTableChanges, type TransactionRunner } from '@flywheel/persistence';
import { JsonLogger, SystemClock } from '@flywheel/platform';
import { waitFor } from '@flywheel/testing';
import { type EntityManager } from 'typeorm';
import { type RunRecord } from '../runs/run-record';
import { type RunFailure, type RunsRepository, type RunSuccess } from '../runs/runs.repository';
import { type TrainerEvents } from '../system/trainer-events';
import { type TrainerConfig } from '../trainer.config';
import { TrainingFailure, type TrainingInput, type TrainingPipeline, type TrainingResult } from './training-pipeline';
import { TrainingWorker } from './training-worker';

function queuedRun(id: string): RunRecord {
  return {
    id,
    modelName: 'fraud',
    spec: trainerV1.ModelSpec.fromPartial({ modelName: 'fraud' }),
    seed: 1,
    attempts: 0,
    status: 'QUEUED',
  } as unknown as RunRecord;
}

class QueueRepository {
  queue: RunRecord[] = [];
  finished = new Map<string, 'SUCCEEDED' | 'FAILED'>();
  failures = new Map<string, RunFailure>();
  async claimNext(): Promise<RunRecord | null> {
    const run = this.queue.shift();
    return run ? { ...run, status: 'RUNNING', attempts: run.attempts + 1 } : null;
  }
  async renewLease(): Promise<boolean> {
    return true;
  }
  async succeed(_m: EntityManager, id: string, _owner: string, result: RunSuccess): Promise<RunRecord> {
    this.finished.set(id, 'SUCCEEDED');
    return { ...queuedRun(id), status: 'SUCCEEDED', metrics: result.metrics };
  }
  async fail(_m: EntityManager, id: string, _owner: string | null, failure: RunFailure): Promise<RunRecord> {
    this.finished.set(id, 'FAILED');
    this.failures.set(id, failure);
    return { ...queuedRun(id), status: 'FAILED' };
  }
  async saveLastSuccess(): Promise<void> {}
}

/** Trainings that end when the test says so, counting how many run at once. */
class GatedPipeline {
  running = 0;
  mostAtOnce = 0;
  private readonly gates: Array<() => void> = [];
  async train(input: TrainingInput): Promise<TrainingResult> {
    this.running++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    this.running--;
    if (input.runId === 'bad') throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA, 'too few rows');
    return { metrics: { accuracy: 0.9 } } as unknown as TrainingResult;
  }
  releaseAll(): void {
    for (const release of this.gates.splice(0)) release();
  }
}

describe('TrainingWorker', () => {
  const config = {
    TRAINING_MAX_CONCURRENT_JOBS: 2,
    TRAINING_POLL_INTERVAL_MS: 10_000,
    TRAINING_LEASE_MS: 60_000,
    TRAINING_MAX_ATTEMPTS: 3,
    SHUTDOWN_TIMEOUT_MS: 1_000,
  } as TrainerConfig;
  const transactions = { run: <T>(work: (m: EntityManager) => Promise<T>) => work({} as EntityManager) } as unknown as TransactionRunner;
  const logger = new JsonLogger({ service: 'trainer', level: 'fatal', write: () => undefined });

  it('trains at most TRAINING_MAX_CONCURRENT_JOBS runs at once, then takes the next', async () => {
    const repository = new QueueRepository();
    repository.queue = ['a', 'b', 'c', 'd', 'bad'].map(queuedRun);
    const pipeline = new GatedPipeline();
    const completed: string[] = [];
    const failed: string[] = [];
    const events = {
      runCompleted: async (_m: EntityManager, run: RunRecord) => void completed.push(run.id),
      runFailed: async (_m: EntityManager, run: RunRecord) => void failed.push(run.id),
    } as unknown as TrainerEvents;
    const worker = new TrainingWorker(
      config,
      repository as unknown as RunsRepository,
      pipeline as unknown as TrainingPipeline,
      transactions,
      events,
      new SystemClock(),
      logger,
      new ManualTableChanges(),
    );
    worker.onApplicationBootstrap();
    try {
      await waitFor(() => pipeline.running === 2, 5_000, 'two trainings');
      expect(repository.queue).toHaveLength(3);
      // Bounded: each round releases the trainings in hand, five runs need at most five rounds.
      for (let round = 0; round < 5 && repository.finished.size < 5; round++) {
        pipeline.releaseAll();
        await waitFor(() => pipeline.running > 0 || repository.finished.size === 5, 5_000, 'the next trainings');
      }
      await waitFor(() => repository.finished.size === 5, 5_000, 'every run to finish');
      expect(pipeline.mostAtOnce).toBe(2);
      expect(completed.sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(failed).toEqual(['bad']);
      expect(repository.failures.get('bad')).toMatchObject({
        failureCode: trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
        error: 'too few rows',
      });
    } finally {
      pipeline.releaseAll();
      await worker.beforeApplicationShutdown();
    }
  });

  it('fails a run that was started too often, without training it', async () => {
    const repository = new QueueRepository();
    repository.queue = [{ ...queuedRun('crashy'), attempts: 3 }];
    const pipeline = new GatedPipeline();
    const events = { runFailed: async () => undefined } as unknown as TrainerEvents;
    const worker = new TrainingWorker(
      config,
      repository as unknown as RunsRepository,
      pipeline as unknown as TrainingPipeline,
      transactions,
      events,
      new SystemClock(),
      logger,
      new ManualTableChanges(),
    );
    worker.onApplicationBootstrap();
    try {
      await waitFor(() => repository.finished.has('crashy'), 5_000, 'the run to fail');
      expect(pipeline.mostAtOnce).toBe(0);
      expect(repository.failures.get('crashy')).toMatchObject({
        failureCode: trainerV1.FailureCode.FAILURE_CODE_INTERNAL,
        error: 'gave up after 3 attempts: the process training it stopped each time',
      });
    } finally {
      await worker.beforeApplicationShutdown();
    }
  });

  it('claims a run queued by another process as soon as the runs table announces it, long before its poll', async () => {
    const repository = new QueueRepository();
    const pipeline = new GatedPipeline();
    const changes = new ManualTableChanges();
    const events = { runCompleted: async () => undefined } as unknown as TrainerEvents;
    const worker = new TrainingWorker(
      config, // polls every 10 s
      repository as unknown as RunsRepository,
      pipeline as unknown as TrainingPipeline,
      transactions,
      events,
      new SystemClock(),
      logger,
      changes,
    );
    worker.onApplicationBootstrap();
    try {
      expect(changes.listening('runs')).toBe(1);
      await new Promise((r) => setTimeout(r, 50)); // the first look found nothing
      repository.queue = [queuedRun('from-elsewhere')];
      const announced = Date.now();
      changes.announce('runs');
      await waitFor(() => pipeline.running === 1, 2_000, 'the announced run to start');
      expect(Date.now() - announced).toBeLessThan(1_000);
    } finally {
      pipeline.releaseAll();
      await worker.beforeApplicationShutdown();
    }
    expect(changes.listening('runs')).toBe(0);
  });
});
