import { ConfigError, loadConfig } from '@flywheel/platform';
import { checkComposeService } from '@flywheel/testing';
import { deployerConfigSchema } from './deployer.config';

const required = {
  DATABASE_URL: 'postgres://flywheel:secret@127.0.0.1:5433/flywheel_deployer',
  FLYWHEEL_TOKENS_FILE: '/var/lib/flywheel/auth/tokens.json',
  S3_ACCESS_KEY: 'access',
  S3_SECRET_KEY: 'secret-key',
};

describe('deployer config', () => {
  it('matches docker-compose.yml: every variable it sets is read, every required one is set', () => {
    expect(checkComposeService('deployer', deployerConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });

  it('defaults to the design ports, the production alias and the documented canary policy', () => {
    expect(loadConfig(deployerConfigSchema, required)).toMatchObject({
      GRPC_PORT: 8055,
      HTTP_PORT: 8085,
      FEATURE_STORE_GRPC_ADDRESS: '127.0.0.1:8052',
      DEPLOYER_FOLLOW_ALIAS: 'production',
      CANARY_TRAFFIC_SHARE: 0.1,
      CANARY_MIN_REQUESTS: 200,
      CANARY_MAX_LATENCY_RATIO: 1.5,
      CANARY_MAX_DURATION_MS: 3_600_000,
      MODEL_ARTIFACT_MAX_BYTES: 256 * 1024 * 1024,
      MODEL_ARTIFACT_WORKER_HEAP_MB: 1024,
      ROLLOUT_HISTORY_INTERVAL_MS: 10_000,
      ROLLOUT_HISTORY_SAMPLES: 360,
      DEPLOYMENT_CHANGES_KEPT: 1000,
    });
  });

  it('bounds the changes kept per deployment', () => {
    expect(loadConfig(deployerConfigSchema, { ...required, DEPLOYMENT_CHANGES_KEPT: '50' })).toMatchObject({ DEPLOYMENT_CHANGES_KEPT: 50 });
    for (const [value, message] of [
      ['0', 'DEPLOYMENT_CHANGES_KEPT: must be at least 1'],
      ['1000001', 'DEPLOYMENT_CHANGES_KEPT: must be at most 1000000'],
      ['many', 'DEPLOYMENT_CHANGES_KEPT: must be an integer'],
    ]) {
      expect(() => loadConfig(deployerConfigSchema, { ...required, DEPLOYMENT_CHANGES_KEPT: value })).toThrow(message);
    }
  });

  it('bounds the rollout history: its interval and the samples kept per deployment', () => {
    expect(
      loadConfig(deployerConfigSchema, { ...required, ROLLOUT_HISTORY_INTERVAL_MS: '200', ROLLOUT_HISTORY_SAMPLES: '20' }),
    ).toMatchObject({ ROLLOUT_HISTORY_INTERVAL_MS: 200, ROLLOUT_HISTORY_SAMPLES: 20 });
    for (const [name, value, message] of [
      ['ROLLOUT_HISTORY_INTERVAL_MS', '50', 'ROLLOUT_HISTORY_INTERVAL_MS: must be at least 100'],
      ['ROLLOUT_HISTORY_INTERVAL_MS', '10s', 'ROLLOUT_HISTORY_INTERVAL_MS: must be an integer'],
      ['ROLLOUT_HISTORY_SAMPLES', '0', 'ROLLOUT_HISTORY_SAMPLES: must be at least 1'],
      ['ROLLOUT_HISTORY_SAMPLES', '100001', 'ROLLOUT_HISTORY_SAMPLES: must be at most 100000'],
    ]) {
      expect(() => loadConfig(deployerConfigSchema, { ...required, [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig(deployerConfigSchema, { ...required, [name]: value })).toThrow(message);
    }
  });

  it('bounds the artifact size and the parser heap at boot', () => {
    expect(loadConfig(deployerConfigSchema, { ...required, MODEL_ARTIFACT_MAX_BYTES: '1048576' }).MODEL_ARTIFACT_MAX_BYTES).toBe(1048576);
    for (const [name, value, message] of [
      ['MODEL_ARTIFACT_MAX_BYTES', '0', 'must be at least 1'],
      ['MODEL_ARTIFACT_MAX_BYTES', String(513 * 1024 * 1024), 'must be at most 536870912'],
      ['MODEL_ARTIFACT_MAX_BYTES', '1e3x', 'must be an integer'],
      ['MODEL_ARTIFACT_WORKER_HEAP_MB', '16', 'must be at least 64'],
      ['MODEL_ARTIFACT_WORKER_HEAP_MB', '511', 'MODEL_ARTIFACT_WORKER_HEAP_MB: must be at least twice MODEL_ARTIFACT_MAX_BYTES, 512 MiB'],
    ]) {
      expect(() => loadConfig(deployerConfigSchema, { ...required, [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig(deployerConfigSchema, { ...required, [name]: value })).toThrow(message);
    }
  });

  it('names the bad variables', () => {
    let caught: unknown;
    try {
      loadConfig(deployerConfigSchema, { ...required, CANARY_TRAFFIC_SHARE: '1.5', FEATURE_STORE_GRPC_ADDRESS: 'nowhere' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain('CANARY_TRAFFIC_SHARE');
    expect((caught as Error).message).toContain('FEATURE_STORE_GRPC_ADDRESS');
  });
});
