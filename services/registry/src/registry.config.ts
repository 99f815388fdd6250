import { z } from 'zod';
import { envInt, serviceConfigSchema } from '@flywheel/platform';

/** A non-negative decimal from the environment, e.g. `0.01`. */
function envFraction(defaultValue: number) {
  return z.coerce
    .number({ message: 'must be a number' })
    .refine((value) => Number.isFinite(value) && value >= 0, 'must be a finite number ≥ 0')
    .default(defaultValue);
}

/**
 * What the registry reads at boot: the platform's variables (gRPC 8054, HTTP 8084), the S3
 * credentials (it reads artifacts and holdouts to compare a challenger with the champion), and
 * the promotion policy a model gets until someone sets its own.
 */
export const registryConfigSchema = serviceConfigSchema(
  { grpcPort: 8054, httpPort: 8084 },
  {
    S3_ACCESS_KEY: z.string().min(1, 'is required: the registry reads model artifacts and holdouts'),
    S3_SECRET_KEY: z.string().min(1, 'is required: the registry reads model artifacts and holdouts'),
    /** Minimum absolute improvement of the default policy, in the metric's units (0 = off). */
    PROMOTION_MIN_ABSOLUTE_IMPROVEMENT: envFraction(0),
    /** Minimum relative improvement of the default policy (0.01 = 1%; 0 = off). */
    PROMOTION_MIN_RELATIVE_IMPROVEMENT: envFraction(0.01),
    /** Holdout rows the default policy needs for a comparison to count. */
    PROMOTION_MIN_HOLDOUT_ROWS: envInt({ min: 1, default: 100 }),
    /** Largest ONNX file ImportModelVersion accepts (256 MiB). */
    MODEL_IMPORT_MAX_BYTES: envInt({ min: 1024, default: 256 * 1024 * 1024 }),
    /** Largest holdout CSV ImportModelVersion accepts (64 MiB). */
    MODEL_IMPORT_HOLDOUT_MAX_BYTES: envInt({ min: 1024, default: 64 * 1024 * 1024 }),
  },
);

export type RegistryConfig = Readonly<z.infer<typeof registryConfigSchema>>;
