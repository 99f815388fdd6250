import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type BaseConfig } from '@flywheel/platform';
import { type KafkaClientOptions } from './kafka-client';

/** A PEM file (CA bundle, certificate or key) larger than this is a wrong path, not a certificate. */
export const MAX_PEM_FILE_BYTES = 1024 * 1024;

/** What the service's Kafka connection is secured with, from the variables validated at boot. */
export type KafkaSecurityConfig = Pick<
  BaseConfig,
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA_FILE'
  | 'KAFKA_SSL_CERT_FILE'
  | 'KAFKA_SSL_KEY_FILE'
>;

/**
 * Reads a PEM file named by `variable`, bounded, with an error that names the variable: a
 * missing CA file must stop boot with a sentence, not with kafkajs's TLS handshake failure.
 */
export function readPemFile(variable: string, path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new Error(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    const size = stat.size;
    if (!stat.isFile()) throw new Error(`${variable}: ${path} is not a file`);
    if (size > MAX_PEM_FILE_BYTES) throw new Error(`${variable}: ${path} is ${size} bytes, more than a PEM file's ${MAX_PEM_FILE_BYTES}`);
    const buffer = Buffer.alloc(size);
    const read = readSync(fd, buffer, 0, size, 0);
    const text = buffer.subarray(0, read).toString('utf8');
    if (!text.includes('-----BEGIN ')) throw new Error(`${variable}: ${path} is not PEM (no -----BEGIN line)`);
    return text;
  } finally {
    closeSync(fd);
  }
}

/**
 * The `ssl` and `sasl` options of every kafkajs client a service creates: SASL when
 * KAFKA_SASL_USERNAME is set (the service's own principal), TLS when KAFKA_SSL is true, with
 * the CA and client certificate files read once, here, at boot.
 */
export function kafkaClientSecurity(
  config: KafkaSecurityConfig,
  readFile: (variable: string, path: string) => string = readPemFile,
): Pick<KafkaClientOptions, 'ssl' | 'sasl'> {
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = config;
  // Spelled per mechanism: kafkajs types each mechanism's options apart.
  const sasl: KafkaClientOptions['sasl'] =
    username && password
      ? config.KAFKA_SASL_MECHANISM === 'plain'
        ? { mechanism: 'plain', username, password }
        : { mechanism: 'scram-sha-512', username, password }
      : undefined;
  if (!config.KAFKA_SSL) return { sasl };
  const file = (variable: 'KAFKA_SSL_CA_FILE' | 'KAFKA_SSL_CERT_FILE' | 'KAFKA_SSL_KEY_FILE') => {
    const path = config[variable];
    return path ? readFile(variable, path) : undefined;
  };
  const [ca, cert, key] = [file('KAFKA_SSL_CA_FILE'), file('KAFKA_SSL_CERT_FILE'), file('KAFKA_SSL_KEY_FILE')];
  // No CA file: Node's own trust store, as for any TLS client; certificates are always verified.
  const ssl = ca || cert ? { rejectUnauthorized: true, ...(ca && { ca: [ca] }), ...(cert && { cert, key }) } : true;
  return { ssl, sasl };
}
