import { type LoggerService } from '@nestjs/common';
import { type EventTypeRegistry } from '@flywheel/contracts';
import { type KafkaClientOptions } from './kafka/kafka-client';
import { type TopicSpec } from './kafka/topic-admin';
import { type MessagingMetricsSink } from './metrics/messaging-metrics';
import { type RetryPolicy } from './consuming/retry-policy';
import { type TraceContext } from './trace/trace-context';

export interface MessagingModuleOptions {
  /** The service name: `ce_source` is `flywheel/<service>`, and the Kafka client id. */
  service: string;
  /** KAFKA_BROKERS. */
  brokers: string | readonly string[];
  /**
   * This replica's name among the service's (FLYWHEEL_INSTANCE_ID), which names the groups of
   * `replicas: 'each'` handlers; required when there are such handlers.
   */
  instance?: string;
  /**
   * Topics to create at boot besides the consumed ones and their dead-letter topics, typically
   * those the service publishes to.
   */
  topics?: ReadonlyArray<string | TopicSpec>;
  /** Partitions of a topic created at boot (default 3). */
  partitions?: number;
  /** Partitions of a dead-letter topic (default 1: it is read by people, rarely). */
  dlqPartitions?: number;
  /** Omitted: the broker's default. */
  replicationFactor?: number;
  /** Default for every handler (a handler's own `retry` overrides it). */
  retry?: Partial<RetryPolicy>;
  consumer?: {
    partitionsConsumedConcurrently?: number;
    sessionTimeoutMs?: number;
    maxWaitTimeMs?: number;
  };
  /** The outbox relay of this service's database; `false` for a process that must not run one. */
  relay?: false | { batchSize?: number; pollIntervalMs?: number };
  /** KAFKA_MAX_MESSAGE_BYTES: the relay cuts produce requests under it and parks a larger event. */
  maxMessageBytes?: number;
  /** Every event type the platform knows, to validate events a group does not handle (default: all of the contracts'). */
  catalog?: EventTypeRegistry;
  /** e.g. `platformMetricsSink(platformMetrics)`; none by default. */
  metrics?: MessagingMetricsSink;
  /** Default: the platform's request context (`platformTraceContext`). */
  traceContext?: TraceContext;
  logger?: LoggerService;
  kafka?: Pick<KafkaClientOptions, 'ssl' | 'sasl' | 'logLevel' | 'connectionTimeoutMs' | 'requestTimeoutMs'>;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const TRACE_CONTEXT = Symbol('TRACE_CONTEXT');

export const MESSAGING_DEFAULTS = {
  partitions: 3,
  dlqPartitions: 1,
  partitionsConsumedConcurrently: 3,
  sessionTimeoutMs: 30_000,
  // How long a fetch may wait on the broker for new records. A record that arrives answers it at
  // once, so this bounds only how often an idle consumer asks (and heartbeats): kafkajs's default.
  maxWaitTimeMs: 5_000,
};
