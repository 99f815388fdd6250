import { type DynamicModule, type InjectionToken, type ModuleMetadata, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { KafkaHealth } from './health/kafka-health';
import { OutboxHealth } from './health/outbox-health';
import { createKafkaClient } from './kafka/kafka-client';
import { kafkaClientSecurity } from './kafka/kafka-security';
import { MessagingRuntime } from './consuming/messaging-runtime';
import { KAFKA_CLIENT, MESSAGING_OPTIONS, type MessagingModuleOptions, TRACE_CONTEXT } from './messaging-options';
import { EventPublisher } from './publishing/event-publisher';
import { type BaseConfig, CONFIG, JsonLogger, PlatformMetrics } from '@flywheel/platform';
import { platformMetricsSink, platformTraceContext } from './platform/platform-adapters';
import { type TraceContext } from './trace/trace-context';

export interface MessagingModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: InjectionToken[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's factory convention: deps match `inject`
  useFactory: (...deps: any[]) => MessagingModuleOptions | Promise<MessagingModuleOptions>;
}

/**
 * Kafka for one service: the `EventPublisher` (through the outbox), the outbox relay, the
 * discovered `@ConsumeEvent` / `@ConsumeRaw` consumers and the topics they need. Needs the
 * `DataSource` of `PersistenceModule` in the application. Registers the `kafka` health check.
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions): DynamicModule {
    return MessagingModule.forRootAsync({ useFactory: () => options });
  }

  /**
   * What every Flywheel service uses: the platform's logger and metrics wired in, and the
   * service's own Kafka principal and TLS from its config (KAFKA_SASL_*, KAFKA_SSL*), so a service
   * names only itself, its brokers and the topics it publishes to.
   */
  static forService(options: Pick<MessagingModuleOptions, 'service' | 'brokers' | 'topics'>): DynamicModule {
    return MessagingModule.forRootAsync({
      inject: [JsonLogger, PlatformMetrics, CONFIG],
      useFactory: (logger: JsonLogger, metrics: PlatformMetrics, config: BaseConfig): MessagingModuleOptions => ({
        ...options,
        instance: config.FLYWHEEL_INSTANCE_ID,
        maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
        kafka: kafkaClientSecurity(config),
        metrics: platformMetricsSink(metrics),
        logger,
      }),
    });
  }

  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        { provide: MESSAGING_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: KAFKA_CLIENT,
          inject: [MESSAGING_OPTIONS],
          useFactory: (o: MessagingModuleOptions) =>
            createKafkaClient({ ...o.kafka, brokers: o.brokers, clientId: o.service, logger: o.logger }),
        },
        {
          provide: TRACE_CONTEXT,
          inject: [MESSAGING_OPTIONS],
          useFactory: (o: MessagingModuleOptions): TraceContext => o.traceContext ?? platformTraceContext,
        },
        {
          provide: EventPublisher,
          inject: [MESSAGING_OPTIONS, TRACE_CONTEXT],
          useFactory: (o: MessagingModuleOptions, traceContext: TraceContext) => new EventPublisher({ service: o.service, traceContext }),
        },
        MessagingRuntime,
        KafkaHealth,
        OutboxHealth,
      ],
      exports: [EventPublisher, KAFKA_CLIENT, TRACE_CONTEXT],
    };
  }
}
