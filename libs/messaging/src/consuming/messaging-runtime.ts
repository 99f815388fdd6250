/**
 * Consumers are kafkajs consumers driven by this Nest provider, which finds `@ConsumeEvent` /
 * `@ConsumeRaw` methods with DiscoveryService at boot — not @nestjs/microservices' Kafka
 * transport. That transport (ServerKafka) commits an offset whether the handler succeeded or
 * threw, has no retry schedule and no dead-letter topic, decodes values as JSON by default,
 * gives a handler no transaction to share with a processed-events row, and runs as a separate
 * "microservice" with one group per app. Each of those would need to be worked around; owning
 * the eachBatch loop gives the semantics directly: offsets resolved only after a record is
 * done, heartbeats during backoff, a dedupe row in the handler's transaction, one group per
 * handler set, and a stop that finishes the record in hand and commits.
 */
import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import {
  claimProcessedEvent,
  claimProcessedEvents,
  kafkaOutboxTransport,
  OutboxRelay,
  type ParkedOutbox,
  TableChanges,
} from '@flywheel/persistence';
import { ALL_EVENT_TYPES, dlqTopic, EventTypeRegistry } from '@flywheel/contracts';
import { withDefaults } from '@flywheel/platform';
import { type Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { ensureTopics, type TopicSpec } from '../kafka/topic-admin';
import { NO_METRICS } from '../metrics/messaging-metrics';
import { KAFKA_CLIENT, MESSAGING_DEFAULTS, MESSAGING_OPTIONS, type MessagingModuleOptions, TRACE_CONTEXT } from '../messaging-options';
import { type TraceContext } from '../trace/trace-context';
import { CONSUME_METADATA, type ConsumeMetadata, replicaGroup } from './consume.decorators';
import { BatchConsumerGroup } from './batch-consumer-group';
import { ConsumerGroup } from './consumer-group';
import { eventBatchHandler } from './event-batch';
import { type GroupConsumerSettings } from './group-consumer';
import { DeliveryPlanner } from './delivery-plan';
import { checkBindings, type EventBatchHandler, type EventHandler, type HandlerBinding, type RawHandler } from './handler-binding';
import { KafkaDeadLetterSink } from './kafka-dead-letter-sink';
import { MessageProcessor } from './message-processor';
import { DEFAULT_RETRY_POLICY, validateRetryPolicy } from './retry-policy';

@Injectable()
export class MessagingRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger: Logger | NonNullable<MessagingModuleOptions['logger']>;
  private readonly groups: Array<ConsumerGroup | BatchConsumerGroup> = [];
  /** Groups of this replica alone, which start at the topics' end. */
  private readonly eachReplicaGroups = new Set<string>();
  private relay: OutboxRelay | undefined;
  private deadLetters: KafkaDeadLetterSink | undefined;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingModuleOptions,
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(TRACE_CONTEXT) private readonly traceContext: TraceContext,
    // Explicit tokens: DI must not depend on emitted type metadata surviving type-only imports.
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
    // PersistenceModule's: rows other processes add to the outbox wake the relay at once.
    @Optional() @Inject(TableChanges) private readonly tableChanges?: TableChanges,
  ) {
    this.logger = options.logger ?? new Logger('Messaging');
  }

  /** The handlers found in the application, by consumer group. */
  discoverBindings(): Map<string, HandlerBinding[]> {
    const byGroup = new Map<string, HandlerBinding[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = (instance as Record<string, unknown>)[method];
        if (typeof handler !== 'function') continue;
        const meta = this.reflector.get<ConsumeMetadata | undefined>(CONSUME_METADATA, handler);
        if (!meta) continue;
        const name = `${instance.constructor.name}.${method}`;
        if (!wrapper.isDependencyTreeStatic()) throw new Error(`${name}: a consumer must be a singleton provider`);
        const handle = handler.bind(instance);
        const binding = bindingOf(meta, name, handle);
        const group = this.groupOf(meta, name);
        const list = byGroup.get(group) ?? [];
        list.push(binding);
        byGroup.set(group, list);
      }
    }
    for (const [group, bindings] of byGroup) checkBindings(group, bindings);
    return byGroup;
  }

  /** The group a handler joins: its own, or this replica's for `replicas: 'each'`. */
  private groupOf(meta: ConsumeMetadata, handlerName: string): string {
    if (meta.kind === 'raw' || meta.replicas !== 'each') return meta.group;
    const { instance } = this.options;
    if (!instance) throw new Error(`${handlerName}: a handler of every replica needs the replica's name (FLYWHEEL_INSTANCE_ID)`);
    const group = replicaGroup(meta.group, instance);
    this.eachReplicaGroups.add(group);
    return group;
  }

  /** The outbox rows the relay gave up on; undefined where this process runs no relay. */
  async parkedOutbox(): Promise<ParkedOutbox | undefined> {
    return this.relay?.parked();
  }

  async onApplicationBootstrap(): Promise<void> {
    const { options } = this;
    const byGroup = this.discoverBindings();
    const retry = validateRetryPolicy({
      ...withDefaults(DEFAULT_RETRY_POLICY, options.retry),
      backoff: withDefaults(DEFAULT_RETRY_POLICY.backoff, options.retry?.backoff),
    });
    const catalog = options.catalog ?? new EventTypeRegistry().register(...ALL_EVENT_TYPES);
    const metrics = options.metrics ?? NO_METRICS;

    const consumedTopics = [...byGroup.values()]
      .flat()
      .map((b) => b.topic)
      .filter((t): t is string => typeof t === 'string');
    const topicSpecs: TopicSpec[] = [
      ...(options.topics ?? []).map((t) => (typeof t === 'string' ? this.topicSpec(t) : t)),
      ...consumedTopics.map((t) => this.topicSpec(t)),
    ];
    const dlqSpecs = [...new Set(consumedTopics)].map((t) => this.dlqSpec(dlqTopic(t)));
    await ensureTopics(this.kafka, [...topicSpecs, ...dlqSpecs]);

    if (options.relay !== false) {
      this.relay = new OutboxRelay({
        dataSource: this.dataSource,
        transport: kafkaOutboxTransport(this.kafka),
        batchSize: options.relay?.batchSize,
        pollIntervalMs: options.relay?.pollIntervalMs,
        changes: this.tableChanges,
        maxMessageBytes: options.maxMessageBytes,
        metrics,
        logger: this.logger,
      });
      this.relay.start();
    }

    if (byGroup.size === 0) return;
    const deadLetters = new KafkaDeadLetterSink(this.kafka, (dlq) => this.dlqSpec(dlq));
    deadLetters.markEnsured(dlqSpecs.map((s) => s.topic));
    await deadLetters.connect();
    this.deadLetters = deadLetters;
    for (const [group, bindings] of byGroup) {
      const batch = bindings[0]!.kind === 'event-batch' ? bindings[0] : undefined;
      if (batch) {
        const consumer = new BatchConsumerGroup({
          ...this.consumerSettings(group, [batch.topic]),
          ...(batch.fetch && { minBytes: batch.fetch.minBytes }),
          ...(batch.fetch?.maxWaitMs !== undefined && { maxWaitTimeMs: batch.fetch.maxWaitMs }),
          handle: eventBatchHandler(group, batch, catalog, {
            transaction: (work) => this.dataSource.transaction(work),
            claimMany: claimProcessedEvents,
            traceContext: this.traceContext,
          }),
          retry: { ...retry, ...batch.retry },
          deadLetter: (topic, letter) => deadLetters.send(topic, letter),
          metrics,
          logger: this.logger,
          clock: () => new Date(),
          maxRecordsPerBatch: batch.maxBatch,
        });
        this.groups.push(consumer);
        await consumer.start();
        continue;
      }
      const processor = new MessageProcessor(group, new DeliveryPlanner(bindings, catalog), retry, {
        transaction: (work) => this.dataSource.transaction(work),
        claim: claimProcessedEvent,
        deadLetter: (topic, letter) => deadLetters.send(topic, letter),
        traceContext: this.traceContext,
        metrics,
        logger: this.logger,
        clock: () => new Date(),
      });
      const consumer = new ConsumerGroup({
        ...this.consumerSettings(group, [...new Set(bindings.map((b) => b.topic))]),
        processor,
        metrics,
        logger: this.logger,
      });
      this.groups.push(consumer);
      await consumer.start();
    }
  }

  /**
   * Before the data source closes: consumers first (their handlers write outbox rows), then the
   * relay finishes its batch, then the producers disconnect.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const errors: unknown[] = [];
    await Promise.all(this.groups.map((g) => g.stop().catch((e) => errors.push(e))));
    this.groups.length = 0;
    await this.relay?.stop().catch((e) => errors.push(e));
    this.relay = undefined;
    await this.deadLetters?.disconnect().catch((e) => errors.push(e));
    this.deadLetters = undefined;
    for (const error of errors) this.logger.error(`messaging shutdown: ${error instanceof Error ? error.message : String(error)}`);
  }

  private consumerSettings(group: string, topics: ReadonlyArray<string | RegExp>): GroupConsumerSettings {
    const { consumer } = this.options;
    return {
      kafka: this.kafka,
      group,
      topics,
      fromBeginning: !this.eachReplicaGroups.has(group),
      partitionsConsumedConcurrently: consumer?.partitionsConsumedConcurrently ?? MESSAGING_DEFAULTS.partitionsConsumedConcurrently,
      sessionTimeoutMs: consumer?.sessionTimeoutMs ?? MESSAGING_DEFAULTS.sessionTimeoutMs,
      maxWaitTimeMs: consumer?.maxWaitTimeMs ?? MESSAGING_DEFAULTS.maxWaitTimeMs,
    };
  }

  private topicSpec(topic: string): TopicSpec {
    return {
      topic,
      partitions: this.options.partitions ?? MESSAGING_DEFAULTS.partitions,
      replicationFactor: this.options.replicationFactor,
    };
  }

  private dlqSpec(topic: string): TopicSpec {
    return {
      topic,
      partitions: this.options.dlqPartitions ?? MESSAGING_DEFAULTS.dlqPartitions,
      replicationFactor: this.options.replicationFactor,
    };
  }
}

/** Events per call of a batch handler unless it says otherwise. */
const DEFAULT_MAX_EVENT_BATCH = 500;

/** `handle` is the decorated method: its decorator typed it for the binding its metadata makes. */
function bindingOf(meta: ConsumeMetadata, name: string, handle: EventHandler & RawHandler & EventBatchHandler): HandlerBinding {
  switch (meta.kind) {
    case 'event':
      return { kind: 'event', name, topic: meta.topic, types: meta.types, handle, retry: meta.retry };
    case 'event-batch':
      return {
        kind: 'event-batch',
        name,
        topic: meta.topic,
        types: meta.types,
        handle,
        retry: meta.retry,
        maxBatch: meta.maxBatch ?? DEFAULT_MAX_EVENT_BATCH,
        fetch: meta.fetch,
      };
    case 'raw':
      return { kind: 'raw', name, topic: meta.topic, handle, retry: meta.retry };
  }
}
