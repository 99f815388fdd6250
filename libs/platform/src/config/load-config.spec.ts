import { baseConfigSchema, serviceConfigSchema } from './base-config.schema';
import { ConfigError } from './config-error';
import { hostname } from 'node:os';
import { envGrpcAddress, envPort, envString } from './env-vars';
import { loadConfig, maskUrlPassword } from './load-config';

const valid = {
  GRPC_PORT: '8054',
  HTTP_PORT: '8084',
  DATABASE_URL: 'postgres://registry:pw@127.0.0.1:5433/flywheel_registry',
  FLYWHEEL_TOKENS_FILE: '/var/lib/flywheel/tokens.json',
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(baseConfigSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('parses, applies defaults and freezes', () => {
    const config = loadConfig(baseConfigSchema, { ...valid, KAFKA_BROKERS: 'k1:9092, k2:9093' });
    expect(config).toMatchObject({
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: 8054,
      HTTP_PORT: 8084,
      KAFKA_BROKERS: ['k1:9092', 'k2:9093'],
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_BUCKET: 'flywheel',
      S3_REGION: 'us-east-1',
      LOG_LEVEL: 'info',
      GRPC_MAX_MESSAGE_BYTES: 16 * 1024 * 1024,
      GRPC_DEADLINE_MS: 30_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.KAFKA_BROKERS)).toBe(true);
  });

  it('reads the default Kafka broker list as a list', () => {
    expect(loadConfig(baseConfigSchema, valid).KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
  });

  it('names every bad or missing variable at once, with its reason and value', () => {
    const error = configError({
      GRPC_PORT: 'fifty',
      HTTP_PORT: '70000',
      KAFKA_BROKERS: 'broker-without-port',
      LOG_LEVEL: 'loud',
      GRPC_DEADLINE_MS: '0',
    });
    const byName = Object.fromEntries(error.issues.map((issue) => [issue.variable, issue]));
    expect(Object.keys(byName).sort()).toEqual(
      ['DATABASE_URL', 'FLYWHEEL_TOKENS_FILE', 'GRPC_DEADLINE_MS', 'GRPC_PORT', 'HTTP_PORT', 'KAFKA_BROKERS', 'LOG_LEVEL'].sort(),
    );
    expect(byName.GRPC_PORT).toEqual({ variable: 'GRPC_PORT', reason: 'must be a port number', value: '"fifty"' });
    expect(byName.HTTP_PORT.reason).toBe('must be between 0 and 65535');
    expect(byName.KAFKA_BROKERS.reason).toBe('must be a comma-separated list of host:port');
    expect(byName.LOG_LEVEL.reason).toBe('must be one of fatal, error, warn, info, debug, trace');
    expect(byName.GRPC_DEADLINE_MS.reason).toBe('must be at least 1');
    expect(byName.DATABASE_URL).toEqual({ variable: 'DATABASE_URL', reason: 'is required', value: '(unset)' });
    for (const name of Object.keys(byName)) expect(error.message).toContain(name);
  });

  it('masks secrets in the error: secret-named variables entirely, passwords inside URLs', () => {
    const error = configError({
      ...valid,
      DATABASE_URL: 'mysql://registry:s3cr3t@db/flywheel',
      S3_ACCESS_KEY: 'AKIAEXAMPLE',
      S3_SECRET_KEY: '',
      GRPC_PORT: 'x',
    });
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).toContain('mysql://registry:***@db/flywheel');
    const secret = error.issues.find((issue) => issue.variable === 'S3_SECRET_KEY');
    expect(secret?.reason).toMatch(/give both or neither/);
    const masked = configError({ ...valid, GRPC_PORT: 'x', S3_ACCESS_KEY: 'AKIAEXAMPLE', S3_SECRET_KEY: '' });
    expect(masked.message).not.toContain('AKIAEXAMPLE');
  });

  it('requires both TLS files or neither', () => {
    const error = configError({ ...valid, TLS_CERT_FILE: '/etc/tls/cert.pem' });
    expect(error.issues).toEqual([
      { variable: 'TLS_KEY_FILE', reason: 'is required when TLS_CERT_FILE is set (give both or neither)', value: '(unset)' },
    ]);
    expect(loadConfig(baseConfigSchema, { ...valid, TLS_CERT_FILE: '/c.pem', TLS_KEY_FILE: '/k.pem' }).TLS_KEY_FILE).toBe('/k.pem');
  });

  it("reads a service's Kafka principal and TLS, SCRAM-SHA-512 unless told otherwise", () => {
    const config = loadConfig(baseConfigSchema, {
      ...valid,
      KAFKA_SASL_USERNAME: 'registry',
      KAFKA_SASL_PASSWORD: 's3cret',
      KAFKA_SSL: 'TRUE',
      KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem',
    });
    expect(config).toMatchObject({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'registry',
      KAFKA_SASL_PASSWORD: 's3cret',
      KAFKA_SSL: true,
      KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem',
    });
    const anonymous = loadConfig(baseConfigSchema, valid);
    expect(anonymous.KAFKA_SSL).toBe(false);
    expect(anonymous.KAFKA_SASL_USERNAME).toBeUndefined();
  });

  it('stops boot on a Kafka username without its password, naming the variable, with the other errors', () => {
    const error = configError({ ...valid, GRPC_PORT: 'x', KAFKA_SASL_USERNAME: 'registry' });
    expect(error.issues).toEqual([
      { variable: 'GRPC_PORT', reason: 'must be a port number', value: '"x"' },
      { variable: 'KAFKA_SASL_PASSWORD', reason: 'is required when KAFKA_SASL_USERNAME is set', value: '(unset)' },
    ]);
    expect(configError({ ...valid, KAFKA_SASL_PASSWORD: 'pw' }).issues).toEqual([
      { variable: 'KAFKA_SASL_USERNAME', reason: 'is required when KAFKA_SASL_PASSWORD is set', value: '(unset)' },
    ]);
  });

  it('refuses PLAIN without TLS, TLS files without KAFKA_SSL, a certificate without its key, and a bad boolean', () => {
    const plain = configError({ ...valid, KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' });
    expect(plain.issues.map((i) => [i.variable, i.reason])).toEqual([
      ['KAFKA_SASL_MECHANISM', 'plain sends the password in clear text: use it only with KAFKA_SSL=true, or use scram-sha-512'],
    ]);
    expect(plain.message).not.toContain('"p"');
    const files = configError({ ...valid, KAFKA_SSL_CA_FILE: '/ca.pem', KAFKA_SSL_CERT_FILE: '/c.pem' });
    expect(files.issues.map((i) => [i.variable, i.reason])).toEqual([
      ['KAFKA_SSL_CA_FILE', 'is set but KAFKA_SSL is not true'],
      ['KAFKA_SSL_CERT_FILE', 'is set but KAFKA_SSL is not true'],
      ['KAFKA_SSL_KEY_FILE', 'is required when KAFKA_SSL_CERT_FILE is set (give both or neither)'],
    ]);
    expect(configError({ ...valid, KAFKA_SSL: 'maybe' }).issues).toEqual([
      { variable: 'KAFKA_SSL', reason: 'must be one of true, 1, yes, false, 0, no', value: '"maybe"' },
    ]);
    expect(configError({ ...valid, KAFKA_SASL_MECHANISM: 'gssapi' }).issues[0].reason).toBe('must be one of scram-sha-512, plain');
  });

  it("names the replica by FLYWHEEL_INSTANCE_ID, its host's name by default, and refuses a name no consumer group can carry", () => {
    expect(loadConfig(baseConfigSchema, { ...valid, FLYWHEEL_INSTANCE_ID: 'deployer-2' }).FLYWHEEL_INSTANCE_ID).toBe('deployer-2');
    expect(loadConfig(baseConfigSchema, valid).FLYWHEEL_INSTANCE_ID).toBe(
      hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 63),
    );
    expect(configError({ ...valid, FLYWHEEL_INSTANCE_ID: '../deployer 2' }).message).toContain(
      'FLYWHEEL_INSTANCE_ID: must be 1–63 letters',
    );
  });

  it("takes another service's address as host:port, replicas ip:port,ip:port or dns:///name:port", () => {
    const schema = serviceConfigSchema({ grpcPort: 8055, httpPort: 8085 }, { REGISTRY_GRPC_ADDRESS: envGrpcAddress('127.0.0.1:8054') });
    const load = (address?: string) =>
      loadConfig(schema, { ...valid, ...(address !== undefined && { REGISTRY_GRPC_ADDRESS: address }) }).REGISTRY_GRPC_ADDRESS;
    expect(load()).toBe('127.0.0.1:8054');
    expect(load('127.0.0.1:8054,127.0.0.1:8154')).toBe('127.0.0.1:8054,127.0.0.1:8154');
    expect(load('dns:///registry:8054')).toBe('dns:///registry:8054');
    expect(() => load('registry')).toThrow(
      'REGISTRY_GRPC_ADDRESS: must be host:port, ip:port,ip:port or dns:///name:port: "registry" is not host:port',
    );
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(baseConfigSchema, { ...valid, LOG_LEVEL: '' }).LOG_LEVEL).toBe('info');
  });

  it('lets a service extend the base with its own fields and default ports, keeping the base rules', () => {
    const schema = serviceConfigSchema({ grpcPort: 8054, httpPort: 8084 }, { MODEL_BUCKET: envString() });
    const { GRPC_PORT: _grpc, HTTP_PORT: _http, ...rest } = valid;
    const config = loadConfig(schema, { ...rest, MODEL_BUCKET: 'models' });
    expect(config).toMatchObject({ GRPC_PORT: 8054, HTTP_PORT: 8084, MODEL_BUCKET: 'models' });
    const error = (() => {
      try {
        loadConfig(schema, { ...rest, TLS_KEY_FILE: '/k.pem' });
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(error?.issues.map((issue) => issue.variable)).toEqual(['MODEL_BUCKET', 'TLS_CERT_FILE']);
    const overridden = baseConfigSchema.safeExtend({ GRPC_PORT: envPort(50099) });
    expect(loadConfig(overridden, { ...rest, HTTP_PORT: '1' }).GRPC_PORT).toBe(50099);
    const typed: string = config.MODEL_BUCKET;
    expect(typed).toBe('models');
  });
});

describe('maskUrlPassword', () => {
  it.each([
    ['postgres://u:p@h:5432/d', 'postgres://u:***@h:5432/d'],
    ['postgres://u@h/d', 'postgres://u@h/d'],
    ['http://h:9000', 'http://h:9000'],
  ])('%s → %s', (raw, masked) => expect(maskUrlPassword(raw)).toBe(masked));
});
