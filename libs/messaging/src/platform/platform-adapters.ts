import { currentContext, currentTraceparent, type PlatformMetrics, runWithTraceparent } from '@flywheel/platform';
import { Counter, Histogram } from 'prom-client';
import { type MessagingMetricsSink } from '../metrics/messaging-metrics';
import { type TraceContext } from '../trace/trace-context';

/**
 * The platform's request context as messaging's trace seam: a handler runs as a child span of
 * the event's `traceparent`, so the platform's JSON logs carry the event's trace id, and events
 * published inside a gRPC call or a handler continue its trace.
 */
export const platformTraceContext: TraceContext = {
  current: () => (currentContext() ? currentTraceparent() : null),
  run: (traceparent, work) => runWithTraceparent(traceparent, work),
};

/** Feeds the platform's Prometheus registry: consumer lag, outbox backlog, outcomes, published rows. */
export function platformMetricsSink(metrics: PlatformMetrics): MessagingMetricsSink {
  const lag = metrics.kafkaConsumerLag();
  const backlog = metrics.outboxBacklog();
  const parked = metrics.outboxParked();
  const registry = metrics.registry;
  const published =
    (registry.getSingleMetric('flywheel_outbox_published_total') as Counter | undefined) ??
    new Counter({ name: 'flywheel_outbox_published_total', help: 'Outbox rows published to Kafka.', registers: [registry] });
  const consumed =
    (registry.getSingleMetric('flywheel_kafka_consumed_seconds') as Histogram<'group' | 'topic' | 'outcome'> | undefined) ??
    new Histogram({
      name: 'flywheel_kafka_consumed_seconds',
      help: 'Time to process one consumed record, by group, topic and outcome (applied, duplicate, ignored, dead-lettered).',
      labelNames: ['group', 'topic', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    });
  const batchRecords =
    (registry.getSingleMetric('flywheel_kafka_batch_records_total') as Counter<'group' | 'topic' | 'outcome'> | undefined) ??
    new Counter({
      name: 'flywheel_kafka_batch_records_total',
      help: 'Records applied by batch consumers, by group, topic and outcome (applied, dead-lettered).',
      labelNames: ['group', 'topic', 'outcome'],
      registers: [registry],
    });
  const batchSeconds =
    (registry.getSingleMetric('flywheel_kafka_batch_seconds') as Histogram<'group' | 'topic'> | undefined) ??
    new Histogram({
      name: 'flywheel_kafka_batch_seconds',
      help: 'Time to apply one batch of consumed records, by group and topic.',
      labelNames: ['group', 'topic'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    });
  return {
    setOutboxBacklog: (rows) => backlog.set(rows),
    setOutboxParked: (rows) => parked.set(rows),
    recordOutboxPublished: (rows) => published.inc(rows),
    setConsumerLag: (group, topic, partition, value) => lag.set({ group, topic, partition: String(partition) }, value),
    recordConsumed: (group, topic, outcome, seconds) => consumed.observe({ group, topic, outcome }, seconds),
    recordBatchConsumed: (group, topic, records, deadLettered, seconds) => {
      if (records > deadLettered) batchRecords.inc({ group, topic, outcome: 'applied' }, records - deadLettered);
      if (deadLettered > 0) batchRecords.inc({ group, topic, outcome: 'dead-lettered' }, deadLettered);
      batchSeconds.observe({ group, topic }, seconds);
    },
  };
}
