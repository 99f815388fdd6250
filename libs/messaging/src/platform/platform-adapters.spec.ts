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
});
