import { Counter, Histogram, Registry } from 'prom-client';
import { type MetricDefinition } from './metric-catalog';
import { PlatformMetrics } from './platform-metrics';
import { SeriesCounter, SeriesHistogram } from './series-metrics';

const calls: MetricDefinition<'method' | 'code'> = {
  name: 'test_calls_total',
  help: 'Calls, by method and code.',
  type: 'counter',
  labelNames: ['method', 'code'],
};
const latency: MetricDefinition<'method'> = {
  name: 'test_latency_seconds',
  help: 'Latency "quoted" \\ and escaped.',
  type: 'histogram',
  labelNames: ['method'],
  buckets: [0.001, 0.005, 0.01, 0.1, 1],
};

/** Both registries' text for the same additions: prom-client's own metrics are the reference. */
async function printedAlike(
  add: (
    ours: { calls: SeriesCounter<'method' | 'code'>; latency: SeriesHistogram<'method'> },
    reference: { calls: Counter; latency: Histogram },
  ) => void,
): Promise<[string, string]> {
  const oursRegistry = new Registry();
  const referenceRegistry = new Registry();
  const ours = { calls: new SeriesCounter(calls).register(oursRegistry), latency: new SeriesHistogram(latency).register(oursRegistry) };
  const reference = {
    calls: new Counter({ name: calls.name, help: calls.help, labelNames: [...calls.labelNames], registers: [referenceRegistry] }),
    latency: new Histogram({
      name: latency.name,
      help: latency.help,
      labelNames: [...latency.labelNames],
      buckets: [...latency.buckets!],
      registers: [referenceRegistry],
    }),
  };
  add(ours, reference);
  return [await oursRegistry.metrics(), await referenceRegistry.metrics()];
}

describe('series metrics', () => {
  it('print what prom-client prints for the same counts and observations', async () => {
    // On each bound, between bounds, below the first, past the last; label values that need escaping.
    const values = [0, 0.0005, 0.001, 0.003, 0.005, 0.0100001, 0.1, 0.5, 1, 7, 1e9];
    const methods = ['Predict', 'Get"Online"\\Features\nnow'];
    const [ours, reference] = await printedAlike((o, r) => {
      for (const method of methods) {
        const series = o.latency.series({ method });
        const ok = o.calls.series({ method, code: 'OK' });
        for (const value of values) {
          series.observe(value);
          r.latency.observe({ method }, value);
          ok.inc();
          r.calls.inc({ method, code: 'OK' });
        }
        o.calls.series({ code: 'INTERNAL', method }).inc(2.5);
        r.calls.inc({ method, code: 'INTERNAL' }, 2.5);
      }
    });
    expect(ours).toBe(reference);
    expect(ours).toContain('test_latency_seconds_bucket{le="0.005",method="Predict"} 5');
    expect(ours).toContain('test_latency_seconds_bucket{le="+Inf",method="Predict"} 11');
  });

  it('print a series from its first use on, as prom-client does, and not after it is removed', async () => {
    const [ours, reference] = await printedAlike((o, r) => {
      o.calls.series({ method: 'A', code: 'OK' });
      o.latency.series({ method: 'A' });
      o.calls.series({ method: 'B', code: 'OK' }).inc(0);
      r.calls.inc({ method: 'B', code: 'OK' }, 0);
      o.calls.series({ method: 'C', code: 'OK' }).inc();
      o.calls.remove({ method: 'C', code: 'OK' });
    });
    expect(ours).toBe(reference);
    expect(ours).toContain('test_calls_total{method="B",code="OK"} 0');
    expect(ours).not.toContain('method="A"');
    expect(ours).not.toContain('method="C"');
  });

  it('hands out one series per label set, whatever the order of the labels', () => {
    const counter = new SeriesCounter(calls);
    const series = counter.series({ method: 'A', code: 'OK' });
    expect(counter.series({ code: 'OK', method: 'A' })).toBe(series);
    expect(counter.series({ method: 'A', code: 'NOT_FOUND' })).not.toBe(series);
  });

  it('drops an observation that is not a finite number rather than failing the call it timed', async () => {
    const registry = new Registry();
    const histogram = new SeriesHistogram(latency).register(registry);
    const series = histogram.series({ method: 'A' });
    series.observe(Number.NaN);
    series.observe(Number.POSITIVE_INFINITY);
    series.observe(0.002);
    const text = await registry.metrics();
    expect(text).toContain('test_latency_seconds_count{method="A"} 1');
    expect(text).toContain('test_latency_seconds_sum{method="A"} 0.002');
  });

  it('refuses labels the metric was not defined with, a missing label and unordered buckets', () => {
    const counter = new SeriesCounter(calls);
    expect(() => counter.series({ method: 'A', code: 'OK', extra: 'x' } as never)).toThrow('metric test_calls_total has no label "extra"');
    expect(() => counter.series({ method: 'A' } as never)).toThrow('metric test_calls_total: label "code" is missing');
    expect(() => new SeriesHistogram({ ...latency, buckets: [1, 0.5] })).toThrow(/buckets must be finite and increasing/);
  });

  it('are shared through PlatformMetrics, and their names cannot be taken by another kind', () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    expect(metrics.seriesCounterOf(calls)).toBe(metrics.seriesCounterOf(calls));
    expect(() => metrics.seriesHistogramOf({ ...latency, name: calls.name })).toThrow(/already registered as another kind/);
    expect(() => metrics.counterOf(calls)).toThrow(/already registered as another kind/);
  });
});
