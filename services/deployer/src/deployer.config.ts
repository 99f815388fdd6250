import { z } from 'zod';
import { envGrpcAddress, envInt, envString, serviceConfigSchema } from '@flywheel/platform';

const MiB = 1024 * 1024;

/** A finite decimal from the environment within [min, max], e.g. `0.01`. */
function envDecimal(defaultValue: number, min: number, max = Number.MAX_VALUE) {
  return z.coerce
    .number({ message: 'must be a number' })
    .refine((value) => Number.isFinite(value) && value >= min && value <= max, `must be a number between ${min} and ${max}`)
    .default(defaultValue);
}

/**
 * What the deployer reads at boot: the platform's variables (gRPC 8055, HTTP 8085), the S3
 * credentials (it loads model artifacts), where the feature store is (entity-key predictions),
 * where the registry is (Deploy), the canary policy a deployment gets unless it was given its own, and the prediction log's
 * buffer. Every variable of its own has a default, so docker-compose needs none of them.
 */
export const deployerConfigSchema = serviceConfigSchema(
  { grpcPort: 8055, httpPort: 8085 },
  {
    S3_ACCESS_KEY: z.string().min(1, 'is required: the deployer loads model artifacts'),
    S3_SECRET_KEY: z.string().min(1, 'is required: the deployer loads model artifacts'),
    /** The feature store's gRPC address, read when a prediction names an entity key. */
    FEATURE_STORE_GRPC_ADDRESS: envGrpcAddress('127.0.0.1:8052'),
    /** The registry's gRPC address: Deploy looks models, versions and aliases up there. */
    REGISTRY_GRPC_ADDRESS: envGrpcAddress('127.0.0.1:8054'),
    /** This service's own API token for calling other services (issued by the launcher). */
    FLYWHEEL_SERVICE_TOKEN: envString().optional(),
    /** The alias a model's deployment follows when the deployer creates it on an alias move. */
    DEPLOYER_FOLLOW_ALIAS: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must match [a-z][a-z0-9_-]{0,62}')
      .default('production'),
    /** Default canary policy: share of traffic on the canary (1 skips the canary). */
    CANARY_TRAFFIC_SHARE: envDecimal(0.1, 0.0001, 1),
    /** Default canary policy: requests each version must serve before the canary is judged. */
    CANARY_MIN_REQUESTS: envInt({ min: 1, default: 200 }),
    /** Default canary policy: tolerated error rate above the stable version's (absolute). */
    CANARY_MAX_ERROR_RATE_INCREASE: envDecimal(0.01, 0, 1),
    /** Default canary policy: tolerated ratio of canary p95 latency to stable p95 latency. */
    CANARY_MAX_LATENCY_RATIO: envDecimal(1.5, 1),
    /** Default canary policy: tolerated accuracy drop (absolute; relative RMSE rise for regression). */
    CANARY_MAX_ACCURACY_DROP: envDecimal(0.02, 0, 1),
    /** Default canary policy: labelled predictions each version needs before accuracy counts. */
    CANARY_MIN_LABELLED: envInt({ min: 1, default: 50 }),
    /** Default canary policy: judge no later than this (then roll back for lack of traffic). */
    CANARY_MAX_DURATION_MS: envInt({ min: 1, default: 3_600_000 }),
    /**
     * p95 latencies below this floor count as the floor in the latency ratio: sub-millisecond
     * latencies jitter by multiples of themselves, and that is no reason to roll back.
     */
    CANARY_LATENCY_FLOOR_MS: envDecimal(1, 0),
    /** How often running canaries are judged (only while this process serves one). */
    ROLLOUT_EVALUATION_INTERVAL_MS: envInt({ min: 10, default: 1_000 }),
    /** How often each served version's figures are sampled into its deployment's rollout history (GetRolloutStatus). */
    ROLLOUT_HISTORY_INTERVAL_MS: envInt({ min: 100, max: 86_400_000, default: 10_000 }),
    /** Samples of the rollout history kept per deployment (one per served version and interval), oldest dropped. */
    ROLLOUT_HISTORY_SAMPLES: envInt({ min: 1, max: 100_000, default: 360 }),
    /** Changes kept per deployment for ListDeploymentChanges (its DeploymentChanged events), oldest dropped. */
    DEPLOYMENT_CHANGES_KEPT: envInt({ min: 1, max: 1_000_000, default: 1000 }),
    /**
     * How often the served models are reconciled with the database anyway: a change by another
     * replica is heard at once (the deployments table NOTIFYs); this covers a lost notification.
     */
    DEPLOYMENT_SYNC_INTERVAL_MS: envInt({ min: 100, default: 30_000 }),
    /** Served predictions kept per deployment to join labels from `flywheel.feedback`. */
    FEEDBACK_JOIN_WINDOW: envInt({ min: 1, default: 50_000 }),
    /** Latency samples kept per version for the percentiles (a sliding window). */
    LATENCY_WINDOW: envInt({ min: 10, default: 10_000 }),
    /**
     * Largest model artifact loaded: checked against the object's size before the download and
     * enforced while reading it. At most 512 MiB, the longest text a JavaScript string holds.
     */
    MODEL_ARTIFACT_MAX_BYTES: envInt({ min: 1, max: 512 * MiB, default: 256 * MiB }),
    /**
     * Heap of the thread that parses and checks artifacts (MiB), at least twice
     * MODEL_ARTIFACT_MAX_BYTES: an artifact that needs more fails its deployment; the service and
     * the models it serves are untouched.
     */
    MODEL_ARTIFACT_WORKER_HEAP_MB: envInt({ min: 64, max: 65_536, default: 1024 }),
    /**
     * Longest one load or prediction of an ONNX graph may take (ms); past it the ONNX runtime's
     * process is stopped (the calls waiting on it fail) and started again for the next call.
     */
    ONNX_RUNTIME_TIMEOUT_MS: envInt({ min: 100, max: 600_000, default: 30_000 }),
    /** Online feature lookups (entity and features asked for) kept in memory, oldest out; 0 asks the feature store every time. */
    ONLINE_FEATURES_CACHE_ENTITIES: envInt({ min: 0, max: 10_000_000, default: 100_000 }),
    /** Prediction log records buffered in memory at most; beyond it new records are dropped and counted. */
    PREDICTION_LOG_BUFFER: envInt({ min: 1, default: 100_000 }),
    /** Prediction log records per Kafka request. */
    PREDICTION_LOG_BATCH: envInt({ min: 1, default: 500 }),
    /**
     * How long a record may wait for its batch to fill before it is sent anyway: a Kafka request
     * costs the same for 1 record as for 50, and so does each batch the monitor takes in. At 1,500
     * predictions a second, 300 ms rather than 100 cut the monitor's CPU per prediction by a third
     * and its PostgreSQL's by 40%; the monitor's windows span hundreds of predictions anyway.
     */
    PREDICTION_LOG_LINGER_MS: envInt({ min: 0, default: 300 }),
  },
).superRefine((config, context) => {
  // The artifact's text alone takes its size of the parser's heap, and parsing it more.
  const needed = Math.ceil((2 * config.MODEL_ARTIFACT_MAX_BYTES) / MiB);
  if (config.MODEL_ARTIFACT_WORKER_HEAP_MB < needed) {
    context.addIssue({
      code: 'custom',
      path: ['MODEL_ARTIFACT_WORKER_HEAP_MB'],
      message: `must be at least twice MODEL_ARTIFACT_MAX_BYTES, ${needed} MiB`,
    });
  }
});

export type DeployerConfig = Readonly<z.infer<typeof deployerConfigSchema>>;
