import { type FactoryProvider } from '@nestjs/common';
import { baseConfigSchema, JsonLogger, loadConfig, PlatformMetrics } from '@flywheel/platform';
import { MESSAGING_OPTIONS, type MessagingModuleOptions } from './messaging-options';
import { MessagingModule } from './messaging.module';

/** What forService builds from the service's config, without starting Nest or Kafka. */
function serviceOptions(env: Record<string, string>): MessagingModuleOptions {
  const config = loadConfig(baseConfigSchema, {
    GRPC_PORT: '50054',
    HTTP_PORT: '8084',
    DATABASE_URL: 'postgres://registry@127.0.0.1:5432/flywheel_registry',
    FLYWHEEL_TOKENS_FILE: '/var/lib/flywheel/tokens.json',
    ...env,
  });
  const module = MessagingModule.forService({ service: 'registry', brokers: config.KAFKA_BROKERS });
  const provider = module.providers!.find((p) => (p as FactoryProvider).provide === MESSAGING_OPTIONS) as FactoryProvider;
  return provider.useFactory(
    new JsonLogger({ service: 'registry', level: 'error', write: () => undefined }),
    new PlatformMetrics({ defaultMetrics: false }),
    config,
  ) as MessagingModuleOptions;
}

describe('MessagingModule.forService', () => {
  it("gives the service's Kafka client its own principal from KAFKA_SASL_*", () => {
    const options = serviceOptions({ KAFKA_SASL_USERNAME: 'registry', KAFKA_SASL_PASSWORD: 'pw-of-registry' });
    expect(options.kafka).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'registry', password: 'pw-of-registry' } });
  });

  it('connects anonymously when no Kafka user is configured', () => {
    expect(serviceOptions({}).kafka).toEqual({ sasl: undefined });
  });
});
