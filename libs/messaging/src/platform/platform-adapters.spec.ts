import { currentTraceId, PlatformMetrics } from '@flywheel/platform';
import { traceIdOf } from '../trace/trace-context';
import { platformMetricsSink, platformTraceContext } from './platform-adapters';

describe('platform adapters', () => {
  it('runs work in the platform context as a continuation of the event’s trace', () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(platformTraceContext.current()).toBeNull();
    const seen = platformTraceContext.run(incoming, () => ({ logged: currentTraceId(), current: platformTraceContext.current() }));
    expect(seen.logged).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf(seen.current)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('feeds the platform registry', async () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    const sink = platformMetricsSink(metrics);
    sink.setConsumerLag('registry.runs', 'flywheel.trainer.events', 2, 5);
    sink.setOutboxBacklog(7, 1.5);
    sink.recordOutboxPublished(3);
    sink.recordConsumed('registry.runs', 'flywheel.trainer.events', 'dead-lettered', 0.02);
    // A second sink (another module instance) reuses the registered metrics instead of clashing.
    expect(() => platformMetricsSink(metrics)).not.toThrow();
    const { body } = await metrics.expose();
    expect(body).toContain('flywheel_kafka_consumer_lag{group="registry.runs",topic="flywheel.trainer.events",partition="2"} 5');
    expect(body).toContain('flywheel_outbox_backlog 7');
    expect(body).toContain('flywheel_outbox_published_total 3');
    expect(body).toContain(
      'flywheel_kafka_consumed_seconds_count{group="registry.runs",topic="flywheel.trainer.events",outcome="dead-lettered"} 1',
    );
  });

  it('counts dead-lettered records of single and batch consumers, and the age of the oldest unpublished event', async () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    const sink = platformMetricsSink(metrics);
    sink.recordConsumed('monitor.predictions', 'flywheel.predictions', 'applied', 0.01);
    sink.recordConsumed('monitor.predictions', 'flywheel.predictions', 'dead-lettered', 0.01);
    sink.recordBatchConsumed('ingestion.raw', 'flywheel.ingest.sales', 10, 3, 0.2);
    sink.recordBatchConsumed('ingestion.raw', 'flywheel.ingest.sales', 5, 0, 0.1);
    sink.setOutboxBacklog(4, 42.5);
    const deadLettered = await metrics.registry.getSingleMetricAsString('flywheel_kafka_dead_lettered_total');
    expect(deadLettered).toContain('flywheel_kafka_dead_lettered_total{group="monitor.predictions",topic="flywheel.predictions"} 1');
    expect(deadLettered).toContain('flywheel_kafka_dead_lettered_total{group="ingestion.raw",topic="flywheel.ingest.sales"} 3');
    expect(await metrics.registry.getSingleMetricAsString('flywheel_outbox_oldest_age_seconds')).toContain(
      'flywheel_outbox_oldest_age_seconds 42.5',
    );
    sink.setOutboxBacklog(0, 0);
    expect(await metrics.registry.getSingleMetricAsString('flywheel_outbox_oldest_age_seconds')).toContain(
      'flywheel_outbox_oldest_age_seconds 0',
    );
  });
});
