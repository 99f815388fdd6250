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
  /** A batch applied by a batch consumer: its records, how many of them were dead-lettered, and the time it took. */
  recordBatchConsumed(group: string, topic: string, records: number, deadLettered: number, seconds: number): void;
}

export const NO_METRICS: MessagingMetricsSink = {
  setOutboxBacklog: () => undefined,
  recordOutboxPublished: () => undefined,
  setConsumerLag: () => undefined,
  recordConsumed: () => undefined,
  recordBatchConsumed: () => undefined,
};
