import { hostname } from 'node:os';
import { z } from 'zod';
import { GRPC_FLOW_CONTROL_WINDOW_BYTES } from '../grpc/flow-control';
import { envBoolean, envEnum, envHostPortList, envInt, envPort, envString, envUrl } from './env-vars';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

// A rule on several variables runs even when another variable is bad (`when`), so that one
// boot error lists them all. Each helper returns the two arguments of `.refine`.
function isObject(payload: { value: unknown }): boolean {
  return typeof payload.value === 'object' && payload.value !== null;
}

const BOTH_OR_NEITHER = ' (give both or neither)';

type Rule = [check: (config: Record<string, unknown>) => boolean, params: { path: string[]; message: string; when: typeof isObject }];

/** `variable` must be set when `other` is. */
function requiredWith(variable: string, other: string, hint = ''): Rule {
  return [
    (config: Record<string, unknown>) => !(config[other] && !config[variable]),
    { path: [variable], message: `is required when ${other} is set${hint}`, when: isObject },
  ];
}

/** A TLS file means nothing without KAFKA_SSL: refused rather than silently unused. */
function onlyWithSsl(variable: string): Rule {
  return [
    (config: Record<string, unknown>) => !(config[variable] && config.KAFKA_SSL !== true),
    { path: [variable], message: 'is set but KAFKA_SSL is not true', when: isObject },
  ];
}

/** SASL mechanisms a service may authenticate to Kafka with (kafkajs' names). */
export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'plain'] as const;

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
    // The service's own Kafka principal (`User:<username>`); unset: no SASL (a broker without auth).
    KAFKA_SASL_MECHANISM: envEnum(KAFKA_SASL_MECHANISMS, 'scram-sha-512'),
    KAFKA_SASL_USERNAME: envString().optional(),
    KAFKA_SASL_PASSWORD: envString().optional(),
    KAFKA_SSL: envBoolean(false),
    /** PEM files: the CA that signed the brokers' certificates, and a client certificate and key (mTLS). */
    KAFKA_SSL_CA_FILE: envString().optional(),
    KAFKA_SSL_CERT_FILE: envString().optional(),
    KAFKA_SSL_KEY_FILE: envString().optional(),
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
    /**
     * HTTP/2 flow-control window of the gRPC server's connections and streams: how much a client
     * may send before it waits for the server to say it has read it. HTTP/2's 64 KiB (65535)
     * makes a 350 KB request wait for a dozen acknowledgements.
     */
    GRPC_FLOW_CONTROL_WINDOW_BYTES: envInt({ min: 65_535, max: 2 ** 31 - 1, default: GRPC_FLOW_CONTROL_WINDOW_BYTES }),
    SHUTDOWN_TIMEOUT_MS: envInt({ min: 0, default: 10_000 }),
    /**
     * This process's name among the replicas of its service (the pod's name on Kubernetes, its
     * host name by default; the launcher numbers its replicas 1, 2, …): it names the consumer
     * groups of what each replica holds in memory.
     */
    FLYWHEEL_INSTANCE_ID: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
        'must be 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit',
      )
      .default(() =>
        hostname()
          .replace(/[^A-Za-z0-9._-]/g, '-')
          .slice(0, 63),
      ),
  })
  .refine(...requiredWith('TLS_KEY_FILE', 'TLS_CERT_FILE', BOTH_OR_NEITHER))
  .refine(...requiredWith('TLS_CERT_FILE', 'TLS_KEY_FILE', BOTH_OR_NEITHER))
  .refine((config) => Boolean(config.S3_ACCESS_KEY) === Boolean(config.S3_SECRET_KEY), {
    path: ['S3_SECRET_KEY'],
    message: 'S3_ACCESS_KEY and S3_SECRET_KEY go together (give both or neither)',
    when: isObject,
  })
  .refine(...requiredWith('KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME'))
  .refine(...requiredWith('KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'))
  // PLAIN sends the password itself on the wire: only inside TLS.
  .refine((config) => !(config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_MECHANISM === 'plain' && config.KAFKA_SSL !== true), {
    path: ['KAFKA_SASL_MECHANISM'],
    message: 'plain sends the password in clear text: use it only with KAFKA_SSL=true, or use scram-sha-512',
    when: isObject,
  })
  .refine(...onlyWithSsl('KAFKA_SSL_CA_FILE'))
  .refine(...onlyWithSsl('KAFKA_SSL_CERT_FILE'))
  .refine(...onlyWithSsl('KAFKA_SSL_KEY_FILE'))
  .refine(...requiredWith('KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_CERT_FILE', BOTH_OR_NEITHER))
  .refine(...requiredWith('KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', BOTH_OR_NEITHER));

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
