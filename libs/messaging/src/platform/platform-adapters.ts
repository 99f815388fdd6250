import { currentContext, currentTraceparent, FLYWHEEL_METRICS, type PlatformMetrics, runWithTraceparent } from '@flywheel/platform';
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

/**
 * Feeds the platform's Prometheus registry: consumer lag, outbox backlog (and the age of its
 * oldest event), outcomes, dead-lettered records, published rows.
 */
export function platformMetricsSink(metrics: PlatformMetrics): MessagingMetricsSink {
  const lag = metrics.kafkaConsumerLag();
  const backlog = metrics.outboxBacklog();
  const oldestAge = metrics.gaugeOf(FLYWHEEL_METRICS.outboxOldestAge);
  const parked = metrics.outboxParked();
  const published = metrics.counterOf(FLYWHEEL_METRICS.outboxPublished);
  const deadLetteredRecords = metrics.counterOf(FLYWHEEL_METRICS.kafkaDeadLettered);
  const consumed = metrics.histogramOf(FLYWHEEL_METRICS.kafkaConsumed);
  const batchRecords = metrics.counterOf(FLYWHEEL_METRICS.kafkaBatchRecords);
  const batchSeconds = metrics.histogramOf(FLYWHEEL_METRICS.kafkaBatchDuration);
  return {
    setOutboxBacklog: (rows, oldestAgeSeconds) => {
      backlog.set(rows);
      oldestAge.set(oldestAgeSeconds);
    },
    setOutboxParked: (rows) => parked.set(rows),
    recordOutboxPublished: (rows) => published.inc(rows),
    setConsumerLag: (group, topic, partition, value) => lag.set({ group, topic, partition: String(partition) }, value),
    recordConsumed: (group, topic, outcome, seconds) => {
      consumed.observe({ group, topic, outcome }, seconds);
      if (outcome === 'dead-lettered') deadLetteredRecords.inc({ group, topic });
    },
    recordBatchConsumed: (group, topic, records, deadLettered, seconds) => {
      if (records > deadLettered) batchRecords.inc({ group, topic, outcome: 'applied' }, records - deadLettered);
      if (deadLettered > 0) {
        batchRecords.inc({ group, topic, outcome: 'dead-lettered' }, deadLettered);
        deadLetteredRecords.inc({ group, topic }, deadLettered);
      }
      batchSeconds.observe({ group, topic }, seconds);
    },
  };
}
