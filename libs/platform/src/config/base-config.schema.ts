import { z } from 'zod';
import { envEnum, envHostPortList, envInt, envPort, envString, envUrl } from './env-vars';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

const MIB = 1024 * 1024;

/**
 * The variables every service reads. A service adds its own fields and its default ports with
 * `serviceConfigSchema` (or `baseConfigSchema.safeExtend`, which keeps the cross-field rules).
 */
export const baseConfigSchema = z
  .object({
    GRPC_HOST: envString('127.0.0.1'),
    GRPC_PORT: envPort(),
    HTTP_HOST: envString('127.0.0.1'),
    HTTP_PORT: envPort(),
    KAFKA_BROKERS: envHostPortList('127.0.0.1:9092'),
    /** The largest record batch the brokers accept (Apache Kafka's message.max.bytes); the outbox relay sends under it. */
    KAFKA_MAX_MESSAGE_BYTES: envInt({ min: 1024, max: 256 * 1024 * 1024, default: 1024 * 1024 }),
    DATABASE_URL: envUrl(['postgres', 'postgresql']),
    S3_ENDPOINT: envUrl(['http', 'https'], 'http://127.0.0.1:9000'),
    // Optional here because not every service stores objects; the storage library insists.
    S3_ACCESS_KEY: envString().optional(),
    S3_SECRET_KEY: envString().optional(),
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
      .default('flywheel'),
    S3_REGION: envString('us-east-1'),
    FLYWHEEL_TOKENS_FILE: envString(),
    TLS_CERT_FILE: envString().optional(),
    TLS_KEY_FILE: envString().optional(),
    LOG_LEVEL: envEnum(LOG_LEVELS, 'info'),
    GRPC_MAX_MESSAGE_BYTES: envInt({ min: 1024, max: 2 ** 31 - 1, default: 16 * MIB }),
    GRPC_DEADLINE_MS: envInt({ min: 1, default: 30_000 }),
    SHUTDOWN_TIMEOUT_MS: envInt({ min: 0, default: 10_000 }),
  })
  .refine((config) => !(config.TLS_CERT_FILE && !config.TLS_KEY_FILE), {
    path: ['TLS_KEY_FILE'],
    message: 'is required when TLS_CERT_FILE is set (give both or neither)',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  })
  .refine((config) => !(config.TLS_KEY_FILE && !config.TLS_CERT_FILE), {
    path: ['TLS_CERT_FILE'],
    message: 'is required when TLS_KEY_FILE is set (give both or neither)',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  })
  .refine((config) => Boolean(config.S3_ACCESS_KEY) === Boolean(config.S3_SECRET_KEY), {
    path: ['S3_SECRET_KEY'],
    message: 'S3_ACCESS_KEY and S3_SECRET_KEY go together (give both or neither)',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

export type BaseConfig = Readonly<z.infer<typeof baseConfigSchema>>;

export interface ServicePorts {
  readonly grpcPort: number;
  readonly httpPort: number;
}

/**
 * `serviceConfigSchema({ grpcPort: 8054, httpPort: 8084 }, { PROMOTION_MARGIN: envNumber... })`:
 * the base variables with the service's default ports, plus its own.
 */
export function serviceConfigSchema<Shape extends z.ZodRawShape>(
  ports: ServicePorts,
  shape: Shape,
): z.ZodObject<Omit<typeof baseConfigSchema.shape, keyof Shape> & Shape, z.core.$strip> {
  const withPorts = baseConfigSchema.safeExtend({ GRPC_PORT: envPort(ports.grpcPort), HTTP_PORT: envPort(ports.httpPort) });
  // zod cannot follow a generic shape through `safeExtend`; the declared type says what it builds.
  return withPorts.safeExtend(shape) as unknown as z.ZodObject<Omit<typeof baseConfigSchema.shape, keyof Shape> & Shape, z.core.$strip>;
}
