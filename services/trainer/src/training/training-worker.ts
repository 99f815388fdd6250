import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { trainerV1 } from '@flywheel/contracts';
import { TableChanges, TransactionRunner } from '@flywheel/persistence';
import { InjectConfig, JsonLogger, Clock } from '@flywheel/platform';
import { type RunRecord } from '../runs/run-record';
import { RunsRepository } from '../runs/runs.repository';
import { QueueSignal } from '../runs/runs.service';
import { TrainerEvents } from '../system/trainer-events';
import { type TrainerConfig } from '../trainer.config';
import { TrainingFailure, TrainingInterrupted, TrainingPipeline } from './training-pipeline';

/**
 * Runs training jobs in the background, at most TRAINING_MAX_CONCURRENT_JOBS at once. The queue
 * is the runs table: a job claims a queued run (or one whose claim lapsed because its process
 * died) with a lease it renews while training, then records the outcome and its event in one
 * transaction. Nothing is trained inside a gRPC call or a consumer's transaction. It looks for
 * work when a run is queued (by this process, or by another one: the runs table NOTIFYs) and
 * otherwise only every TRAINING_POLL_INTERVAL_MS, so an idle trainer does not query.
 */
@Injectable()
export class TrainingWorker extends QueueSignal implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly active = new Map<string, Promise<void>>();
  /** How to stop each job in hand, by run id. */
  private readonly cancels = new Map<string, AbortController>();
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;
  private filling: Promise<void> | null = null;
  private refill = false;
  private stopping = false;

  constructor(
    @InjectConfig() private readonly config: TrainerConfig,
    @Inject(RunsRepository) private readonly runs: RunsRepository,
    @Inject(TrainingPipeline) private readonly pipeline: TrainingPipeline,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(TrainerEvents) private readonly events: TrainerEvents,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(TableChanges) private readonly changes: TableChanges,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.stopListening = this.changes.onChange('runs', () => {
      this.poke();
      void this.stopCancelled();
    });
    this.timer = setInterval(() => this.poke(), this.config.TRAINING_POLL_INTERVAL_MS);
    this.poke();
  }

  /** Jobs in progress in this process. */
  get running(): number {
    return this.active.size;
  }

  poke(): void {
    if (this.stopping) return;
    if (this.filling) {
      this.refill = true;
      return;
    }
    this.filling = this.fill()
      .catch((error: Error) => this.logger.entry('error', 'claiming queued runs failed', { error: error.message }))
      .finally(() => {
        this.filling = null;
        if (this.refill) {
          this.refill = false;
          this.poke();
        }
      });
  }

  private async fill(): Promise<void> {
    while (!this.stopping && this.active.size < this.config.TRAINING_MAX_CONCURRENT_JOBS) {
      const now = this.clock.now();
      const run = await this.runs.claimNext(this.owner, now, new Date(now.getTime() + this.config.TRAINING_LEASE_MS));
      if (!run) return;
      const cancel = new AbortController();
      const job = this.execute(run, cancel).finally(() => {
        this.active.delete(run.id);
        this.cancels.delete(run.id);
        this.poke();
      });
      this.active.set(run.id, job);
      this.cancels.set(run.id, cancel);
    }
  }

  /**
   * Stops the jobs whose run is no longer running here: cancelled (CancelRun failed it, and the
   * runs table's notification says something changed), or ended otherwise.
   */
  private async stopCancelled(): Promise<void> {
    if (this.cancels.size === 0) return;
    try {
      for (const run of await this.runs.getMany([...this.cancels.keys()])) {
        if (run.status !== 'RUNNING') this.cancels.get(run.id)?.abort(run.error || `the run is ${run.status.toLowerCase()}`);
      }
    } catch (error) {
      // The lease renewal finds out too, a little later.
      this.logger.entry('warn', 'could not check running runs for cancellation', { error: (error as Error).message });
    }
  }

  private async execute(run: RunRecord, cancel: AbortController): Promise<void> {
    const started = performance.now();
    const renewal = setInterval(
      () => {
        const until = new Date(this.clock.now().getTime() + this.config.TRAINING_LEASE_MS);
        this.runs
          .renewLease(run.id, this.owner, until)
          .then((renewed) => {
            // Not ours any more (cancelled, or taken over after a lapse): its work is wasted.
            if (!renewed) cancel.abort('the run is no longer held by this trainer');
          })
          .catch((error: Error) => this.logger.entry('warn', 'lease renewal failed', { runId: run.id, error: error.message }));
      },
      Math.max(1_000, Math.floor(this.config.TRAINING_LEASE_MS / 3)),
    );
    try {
      if (run.attempts > this.config.TRAINING_MAX_ATTEMPTS) {
        throw new TrainingFailure(
          trainerV1.FailureCode.FAILURE_CODE_INTERNAL,
          `gave up after ${run.attempts - 1} attempts: the process training it stopped each time`,
        );
      }
      this.logger.entry('info', 'training started', { runId: run.id, model: run.modelName, attempt: run.attempts });
      // Let the claim loop and pending calls go on before the CPU-bound part.
      await yieldToEventLoop();
      const result = await this.pipeline.train({ runId: run.id, spec: run.spec, seed: run.seed, signal: cancel.signal });
      const durationMs = performance.now() - started;
      const done = await this.transactions.run(async (manager) => {
        const succeeded = await this.runs.succeed(manager, run.id, this.owner, { ...result, durationMs, endedAt: this.clock.now() });
        if (!succeeded) return null;
        await this.runs.saveLastSuccess(manager, succeeded);
        await this.events.runCompleted(manager, succeeded);
        return succeeded;
      });
      if (done)
        this.logger.entry('info', 'training succeeded', {
          runId: run.id,
          model: run.modelName,
          metrics: done.metrics,
          durationMs: Math.round(durationMs),
        });
      else this.logger.entry('warn', 'training finished after its claim was taken over; result dropped', { runId: run.id });
    } catch (error) {
      if (error instanceof TrainingInterrupted) {
        this.logger.entry('info', 'training stopped', { runId: run.id, model: run.modelName, reason: error.message });
        return;
      }
      await this.recordFailure(run, error, performance.now() - started);
    } finally {
      clearInterval(renewal);
    }
  }

  private async recordFailure(run: RunRecord, error: unknown, durationMs: number): Promise<void> {
    const failure =
      error instanceof TrainingFailure
        ? error
        : new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_INTERNAL, error instanceof Error ? error.message : String(error));
    this.logger.entry(failure.code === trainerV1.FailureCode.FAILURE_CODE_INTERNAL ? 'error' : 'warn', 'training failed', {
      runId: run.id,
      model: run.modelName,
      failureCode: trainerV1.FailureCode[failure.code],
      error: failure.message,
      stack: failure === error ? undefined : (error as Error | undefined)?.stack,
    });
    try {
      await this.transactions.run(async (manager) => {
        const failed = await this.runs.fail(manager, run.id, this.owner, {
          failureCode: failure.code,
          error: failure.message,
          durationMs,
          endedAt: this.clock.now(),
        });
        if (failed) await this.events.runFailed(manager, failed);
      });
    } catch (recordError) {
      // The claim lapses and the run is tried again (up to TRAINING_MAX_ATTEMPTS).
      this.logger.entry('error', 'could not record the failed run', { runId: run.id, error: (recordError as Error).message });
    }
  }

  /** Finishes the jobs in hand within SHUTDOWN_TIMEOUT_MS; an unfinished one is retried when its claim lapses. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopListening?.();
    clearInterval(this.timer);
    await this.filling;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.active.values()]),
      new Promise<void>((resolve) => (timeout = setTimeout(resolve, this.config.SHUTDOWN_TIMEOUT_MS))),
    ]);
    clearTimeout(timeout);
  }
}
