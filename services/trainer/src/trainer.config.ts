import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { envGrpcAddress, envInt, envString, serviceConfigSchema } from '@flywheel/platform';

/** TRAINING_WORKERS' default: every core but the one the event loop runs on, at least one. */
export function defaultTrainingWorkers(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/** TRAINING_FIT_THREADS' default: the cores each training thread has to itself, at least one. */
export function defaultFitThreads(trainingWorkers: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / trainingWorkers));
}

/**
 * What the trainer reads at boot: the platform's variables (gRPC 8053, HTTP 8083), the S3
 * credentials (it reads training sets and writes artifacts and holdouts), where the feature
 * store is and the token to call it with, and how many trainings may run at once.
 */
export const trainerConfigSchema = serviceConfigSchema(
  { grpcPort: 8053, httpPort: 8083 },
  {
    S3_ACCESS_KEY: z.string().min(1, 'is required: the trainer reads training sets and writes model artifacts'),
    S3_SECRET_KEY: z.string().min(1, 'is required: the trainer reads training sets and writes model artifacts'),
    /** `host:port` of the feature store's gRPC server. */
    FEATURE_STORE_GRPC_ADDRESS: envGrpcAddress('127.0.0.1:8052'),
    /** The trainer's own API token, sent when it calls the feature store. */
    FLYWHEEL_SERVICE_TOKEN: envString(),
    /** Deadline of a GetHistoricalFeatures call: building a training set can take a while. */
    FEATURE_STORE_DEADLINE_MS: envInt({ min: 1, default: 120_000 }),
    /** Trainings running at once in this process; the rest wait in the queue. */
    TRAINING_MAX_CONCURRENT_JOBS: envInt({ min: 1, max: 64, default: 2 }),
    /** Threads that fit models (and parse and score training data): every core but the event loop's by default. */
    TRAINING_WORKERS: envInt({ min: 1, max: 64, default: defaultTrainingWorkers() }),
    /**
     * Threads one gradient-boosted fit builds its histograms on, and scores its training rows
     * and holdout on (the training thread and helpers beside it); the model and its metrics are
     * the same for any number. Default: cores ÷ TRAINING_WORKERS.
     */
    TRAINING_FIT_THREADS: envInt({ min: 1, max: 64 }).optional(),
    /** Heap of each training thread: a fit that needs more fails its run, not the service. */
    TRAINING_WORKER_HEAP_MB: envInt({ min: 16, max: 65_536, default: 2_048 }),
    /** Longest a run may compute, from its start: a step still running then is stopped and the run fails. */
    TRAINING_TIME_BUDGET_MS: envInt({ min: 1_000, default: 3_600_000 }),
    /**
     * How often the queue is checked anyway. A queued run wakes every trainer at once (in this
     * process directly, in others through NOTIFY); the poll finds what a lost notification
     * missed and runs whose claim lapsed (a crashed process), which waited a whole lease already.
     */
    TRAINING_POLL_INTERVAL_MS: envInt({ min: 10, default: 30_000 }),
    /** How long a job's claim on a run lasts; it is renewed while training, and a lapsed one (crashed process) is taken over. */
    TRAINING_LEASE_MS: envInt({ min: 1_000, default: 300_000 }),
    /** Times a run is started (after crashes of the process training it) before it is failed. */
    TRAINING_MAX_ATTEMPTS: envInt({ min: 1, max: 20, default: 3 }),
    /** Recorded as each run's code version; defaults to the git commit, else the package version. */
    FLYWHEEL_CODE_VERSION: envString().optional(),
  },
);

export type TrainerConfig = Readonly<z.infer<typeof trainerConfigSchema>>;
