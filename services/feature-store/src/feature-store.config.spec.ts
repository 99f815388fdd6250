import { ConfigError, loadConfig } from '@flywheel/platform';
import { checkComposeService } from '@flywheel/testing';
import { featureStoreConfigSchema } from './feature-store.config';

const required = {
  DATABASE_URL: 'postgres://flywheel:secret@127.0.0.1:5433/flywheel_feature_store',
  FLYWHEEL_TOKENS_FILE: '/var/lib/flywheel/auth/tokens.json',
  S3_ACCESS_KEY: 'access',
  S3_SECRET_KEY: 'secret-key',
};

describe('feature-store config', () => {
  it('matches docker-compose.yml: every variable it sets is read, every required one is set', () => {
    expect(checkComposeService('feature-store', featureStoreConfigSchema)).toEqual({ unread: [], missing: [], dockerfileExists: true });
  });

  it('defaults to the design ports and the ingestion service beside it', () => {
    expect(loadConfig(featureStoreConfigSchema, required)).toMatchObject({
      GRPC_PORT: 8052,
      HTTP_PORT: 8082,
      INGESTION_GRPC_ADDRESS: '127.0.0.1:8051',
    });
  });

  it('names a missing S3 credential', () => {
    const { S3_ACCESS_KEY: _unset, ...rest } = required;
    expect(() => loadConfig(featureStoreConfigSchema, rest)).toThrow(ConfigError);
    expect(() => loadConfig(featureStoreConfigSchema, rest)).toThrow(/S3_ACCESS_KEY/);
  });
});
