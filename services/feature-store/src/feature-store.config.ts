import { z } from 'zod';
import { envGrpcAddress, envInt, envString, serviceConfigSchema } from '@flywheel/platform';

/**
 * What the feature store reads at boot: the platform's variables (gRPC 8052, HTTP 8082), the
 * S3 credentials (it reads dataset versions and writes training sets and snapshots), and how it
 * reaches the ingestion service for a dataset it has not heard of yet.
 */
export const featureStoreConfigSchema = serviceConfigSchema(
  { grpcPort: 8052, httpPort: 8082 },
  {
    S3_ACCESS_KEY: z.string().min(1, 'is required: the feature store reads dataset versions and writes training sets'),
    S3_SECRET_KEY: z.string().min(1, 'is required: the feature store reads dataset versions and writes training sets'),
    /** host:port of the ingestion service's gRPC API. */
    INGESTION_GRPC_ADDRESS: envGrpcAddress('127.0.0.1:8051'),
    /** This service's own API token for calling other services; unset, it asks nobody. */
    FLYWHEEL_SERVICE_TOKEN: envString().optional(),
    /** Entities whose online values are kept in memory (oldest out); 0 reads the online store every time. */
    ONLINE_CACHE_MAX_ENTITIES: envInt({ min: 0, max: 10_000_000, default: 100_000 }),
    /** Most rows of a training set drawn from a dataset (its spine); a larger range is refused, to be narrowed. */
    TRAINING_SET_MAX_ROWS: envInt({ min: 1, max: 10_000_000, default: 1_000_000 }),
    /**
     * Most offline records one training set reads: its spine's and their entities' history. A
     * set that would read more is refused, to be asked of fewer entities or a narrower range.
     */
    TRAINING_SET_MAX_HISTORY_RECORDS: envInt({ min: 1, max: 100_000_000, default: 5_000_000 }),
    /**
     * Cells of the columns dataset spines carry (labels) kept per version object, so a retraining
     * over the same versions does not read their objects again; 0 keeps none.
     */
    TRAINING_SET_COLUMN_CACHE_CELLS: envInt({ min: 0, max: 100_000_000, default: 5_000_000 }),
    /** Threads that write training sets as CSV: as many sets are written at once. */
    TRAINING_SET_WORKERS: envInt({ min: 1, max: 64, default: 2 }),
    /** Most heap (MiB) of one training-set thread; a set that needs more fails alone. */
    TRAINING_SET_WORKER_HEAP_MB: envInt({ min: 16, max: 65_536, default: 2_048 }),
  },
);

export type FeatureStoreConfig = Readonly<z.infer<typeof featureStoreConfigSchema>>;
