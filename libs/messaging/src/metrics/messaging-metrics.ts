import { type OutboxMetricsSink } from '@flywheel/persistence';

/** What happened to one consumed record. */
export type ConsumeOutcome = 'applied' | 'duplicate' | 'ignored' | 'dead-lettered';

/**
 * Where messaging reports its gauges and counters; the platform maps them to prom-client
 * metrics (consumer lag, outbox backlog, outcomes) without this library importing it.
 */
export interface MessagingMetricsSink extends OutboxMetricsSink {
  setConsumerLag(group: string, topic: string, partition: number, lag: number): void;
  recordConsumed(group: string, topic: string, outcome: ConsumeOutcome, seconds: number): void;
}

export const NO_METRICS: MessagingMetricsSink = {
  setOutboxBacklog: () => undefined,
  recordOutboxPublished: () => undefined,
  setConsumerLag: () => undefined,
  recordConsumed: () => undefined,
};
