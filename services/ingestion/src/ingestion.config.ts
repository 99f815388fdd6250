import { envInt, envString, serviceConfigSchema } from '@flywheel/platform';
import { type z } from 'zod';

/** Ingestion's variables: the platform's, its default ports, object-store keys and commit defaults. */
export const ingestionConfigSchema = serviceConfigSchema(
  { grpcPort: 8051, httpPort: 8081 },
  {
    // Dataset versions live in the object store, so unlike the base schema the keys are required.
    S3_ACCESS_KEY: envString(),
    S3_SECRET_KEY: envString(),
    /** Rows per version when a dataset's commit policy leaves `max_rows` at 0. */
    INGEST_DEFAULT_MAX_ROWS: envInt({ min: 1, max: 1_000_000, default: 10_000 }),
    /** Longest time records stay pending when a dataset's policy leaves `max_interval` unset. */
    INGEST_DEFAULT_MAX_INTERVAL_MS: envInt({ min: 100, default: 60_000 }),
    /**
     * Longest wait of the commit timer between two looks for datasets whose interval has
     * elapsed. Records staged by this replica wake it exactly when they fall due; the look
     * finds those staged by another replica.
     */
    INGEST_COMMIT_CHECK_MS: envInt({ min: 10, max: 300_000, default: 30_000 }),
    /** Bytes of each record a RecordsQuarantined event or a quarantine listing carries (with its size and sha256). */
    INGEST_QUARANTINE_SAMPLE_BYTES: envInt({ min: 256, max: 65_536, default: 4_096 }),
    /** How often raw-topic consumers are reconciled with the datasets table (datasets registered by another replica). */
    INGEST_DATASET_SYNC_MS: envInt({ min: 100, default: 10_000 }),
    /**
     * Threads that validate raw records and build version files (CSV and profile) beside the
     * event loop; several batches, and several versions of a backlog, are worked on at once.
     */
    INGEST_COMPUTE_THREADS: envInt({ min: 1, max: 16, default: 2 }),
    /** Partitions of a `flywheel.ingest.<dataset>` topic created at registration. */
    INGEST_TOPIC_PARTITIONS: envInt({ min: 1, max: 1_000, default: 3 }),
  },
);

export type IngestionConfig = Readonly<z.output<typeof ingestionConfigSchema>>;
