import { z } from 'zod';
import { parseGrpcTarget } from '../grpc/grpc-target';

// Field builders for environment variables: every value arrives as a string, so each one
// parses the string and says in its message what a good value looks like.

export function envPort(defaultPort?: number) {
  const port = z.coerce
    .number({ message: 'must be a port number' })
    .int('must be a port number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535');
  return defaultPort === undefined ? port : port.default(defaultPort);
}

export function envInt(options: { min?: number; max?: number; default?: number } = {}) {
  let value = z.coerce.number({ message: 'must be an integer' }).int('must be an integer');
  if (options.min !== undefined) value = value.min(options.min, `must be at least ${options.min}`);
  if (options.max !== undefined) value = value.max(options.max, `must be at most ${options.max}`);
  return options.default === undefined ? value : value.default(options.default);
}

export function envString(defaultValue?: string) {
  const value = z.string().min(1, 'must not be empty');
  return defaultValue === undefined ? value : value.default(defaultValue);
}

export function envUrl(protocols: readonly string[], defaultValue?: string) {
  const value = z.string().refine(
    (raw) => {
      try {
        return protocols.includes(new URL(raw).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.map((p) => `${p}://`).join(', ')})` },
  );
  return defaultValue === undefined ? value : value.default(defaultValue);
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** A comma-separated list of `host:port`, e.g. KAFKA_BROKERS. */
export function envHostPortList(defaultValue?: string) {
  const value = z
    .string()
    .transform((raw) =>
      raw
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0),
    )
    .refine((entries) => entries.length > 0, { message: 'must list at least one host:port' })
    .refine((entries) => entries.every((entry) => HOST_PORT.test(entry) && Number(entry.split(':').pop()) <= 65535), {
      message: 'must be a comma-separated list of host:port',
    });
  return defaultValue === undefined ? value : value.prefault(defaultValue);
}

export function envEnum<const T extends readonly [string, ...string[]]>(values: T, defaultValue?: T[number]) {
  const value = z.enum(values, { message: `must be one of ${values.join(', ')}` });
  return defaultValue === undefined ? value : value.default(defaultValue as never);
}

const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];

/** `true`/`false` (also `1`/`0`, `yes`/`no`, any case); anything else is an error, not false. */
export function envBoolean(defaultValue: boolean) {
  return z
    .string()
    .transform((raw) => raw.trim().toLowerCase())
    .refine((word) => TRUE_WORDS.includes(word) || FALSE_WORDS.includes(word), {
      message: `must be one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`,
    })
    .transform((word) => TRUE_WORDS.includes(word))
    .prefault(String(defaultValue));
}

/** Another service's gRPC address: `host:port`, replicas `ip:port,ip:port`, or `dns:///name:port`. */
export function envGrpcAddress(defaultValue: string) {
  return z
    .string()
    .superRefine((raw, context) => {
      try {
        parseGrpcTarget(raw);
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: `must be host:port, ip:port,ip:port or dns:///name:port: ${(error as Error).message}`,
        });
      }
    })
    .default(defaultValue);
}
