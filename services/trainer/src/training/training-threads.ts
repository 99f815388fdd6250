import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { extname, join } from 'node:path';
import { trainerV1 } from '@flywheel/contracts';
import { InjectConfig, WorkerTasks } from '@flywheel/platform';
import { defaultFitThreads, type TrainerConfig } from '../trainer.config';
import {
  type FitInput,
  type Fitted,
  type PreparedData,
  type PrepareInput,
  type Scored,
  type ScoreInput,
  TrainingFailure,
  TrainingInterrupted,
} from './training-steps';

export type TrainingTask =
  | { readonly kind: 'prepare'; readonly input: PrepareInput }
  | { readonly kind: 'fit'; readonly input: FitInput }
  | { readonly kind: 'score'; readonly input: ScoreInput };

/** What bounds one run's steps: its deadline (epoch ms) and its cancellation. */
export interface RunLimits {
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

interface StepResults {
  readonly prepared: PreparedData;
  readonly fitted: Fitted;
  readonly scored: Scored;
}

export type TrainingReply =
  | { readonly kind: 'prepared'; readonly result: PreparedData }
  | { readonly kind: 'fitted'; readonly result: Fitted }
  | { readonly kind: 'scored'; readonly result: Scored }
  | { readonly kind: 'failure'; readonly code: trainerV1.FailureCode; readonly message: string };

/**
 * Runs the CPU-bound steps of training (training-steps.ts) on a pool of TRAINING_WORKERS
 * threads under a heap of TRAINING_WORKER_HEAP_MB each, so the event loop keeps answering gRPC
 * and health checks, renewing leases and keeping its sockets alive while a model fits; a
 * search's trials fit side by side. A run has TRAINING_TIME_BUDGET_MS from its start: a step
 * still running then is stopped. A thread that dies, outgrows its heap or is stopped fails its
 * run with the reason; the service and the other runs go on.
 */
@Injectable()
export class TrainingThreads implements OnApplicationShutdown {
  private readonly tasks: WorkerTasks<TrainingTask, TrainingReply>;

  constructor(@InjectConfig() private readonly config: TrainerConfig) {
    const file = join(__dirname, `training-steps.worker${extname(__filename)}`);
    this.tasks = new WorkerTasks(file, 'training', config.TRAINING_WORKERS, { maxOldGenerationSizeMb: config.TRAINING_WORKER_HEAP_MB });
  }

  // After the training worker's own shutdown, which lets the jobs in hand finish first.
  onApplicationShutdown(): Promise<void> {
    return this.tasks.close();
  }

  /** The limits of a run started now: its deadline, and `signal` (cancellation) when given. */
  limits(signal?: AbortSignal, startedAt = Date.now()): RunLimits {
    return { deadline: startedAt + this.config.TRAINING_TIME_BUDGET_MS, signal };
  }

  prepare(input: PrepareInput, run: RunLimits): Promise<PreparedData> {
    // The training set's bytes are the run's own: they move to the thread.
    const own = input.csv.byteOffset === 0 && input.csv.byteLength === input.csv.buffer.byteLength;
    return this.run({ kind: 'prepare', input }, 'prepared', run, own ? [input.csv.buffer as ArrayBuffer] : []);
  }

  fit(input: FitInput, run: RunLimits): Promise<Fitted> {
    return this.run({ kind: 'fit', input: { ...input, threads: this.fitThreads } }, 'fitted', run);
  }

  score(input: ScoreInput, run: RunLimits): Promise<Scored> {
    return this.run({ kind: 'score', input: { ...input, threads: this.fitThreads } }, 'scored', run);
  }

  /** Threads a training thread's fit and scoring may use: its own and helpers beside it. */
  private get fitThreads(): number {
    return this.config.TRAINING_FIT_THREADS ?? defaultFitThreads(this.config.TRAINING_WORKERS);
  }

  private async run<K extends keyof StepResults>(
    task: TrainingTask,
    kind: K,
    { deadline, signal }: RunLimits,
    transfer: readonly ArrayBuffer[] = [],
  ): Promise<StepResults[K]> {
    const budget = `its time budget of ${this.config.TRAINING_TIME_BUDGET_MS / 1000} s (TRAINING_TIME_BUDGET_MS)`;
    const timeoutMs = deadline - Date.now();
    if (timeoutMs <= 0) throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_TRAINING_ERROR, `training ran past ${budget}`);
    let reply: TrainingReply;
    try {
      reply = await this.tasks.run(task, { transfer, timeoutMs, signal });
    } catch (error) {
      const message = (error as Error).message;
      if (signal?.aborted) throw new TrainingInterrupted(`training stopped: ${String(signal.reason ?? 'cancelled')}`);
      if (message.includes('worker stopped')) throw new TrainingInterrupted('training stopped: the trainer is shutting down');
      throw new TrainingFailure(trainerV1.FailureCode.FAILURE_CODE_TRAINING_ERROR, this.describe(message, budget));
    }
    if (reply.kind === 'failure') throw new TrainingFailure(reply.code, reply.message);
    if (reply.kind !== kind) throw new Error(`training thread answered a ${task.kind} task with ${reply.kind}`);
    return reply.result as StepResults[K];
  }

  /** A thread's end, as a run's failure: out of time, out of memory, or dead. */
  private describe(message: string, budget: string): string {
    if (message.includes('ran past its time budget')) return `training ran past ${budget}`;
    if (/memory limit|out of memory/i.test(message))
      return `training ran out of memory: a training thread may use ${this.config.TRAINING_WORKER_HEAP_MB} MB of heap (TRAINING_WORKER_HEAP_MB)`;
    return `training thread failed: ${message}`;
  }
}
