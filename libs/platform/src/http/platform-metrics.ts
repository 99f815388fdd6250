import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FLYWHEEL_METRICS, type MetricDefinition } from './metric-catalog';
import { type CounterSeries, type HistogramSeries, SeriesCounter, SeriesHistogram } from './series-metrics';

export type GrpcLabel = 'service' | 'method' | 'code';

/**
 * How often the event-loop delay histogram (nodejs_eventloop_lag_p99_seconds, …) samples.
 * prom-client's 10 ms default wakes an idle process 100 times a second, which alone cost about
 * 0.3% of a core per service; a stall of a second or more is still always seen, a shorter one
 * with the odds of its length. nodejs_eventloop_lag_seconds, measured at each scrape, is exact.
 */
export const EVENT_LOOP_SAMPLING_MS = 1_000;

/**
 * The service's Prometheus registry (its own, not prom-client's global one, so two services
 * in one test process do not collide), with the platform's metrics and get-or-create helpers
 * for the ones other libraries feed.
 */
export class PlatformMetrics {
  readonly registry = new Registry();
  readonly grpcRequests: SeriesCounter<GrpcLabel>;
  readonly grpcDuration: SeriesHistogram<GrpcLabel>;
  /** By method path and status: the series a call adds to, found with one lookup. */
  private readonly grpcSeries = new Map<string, { readonly requests: CounterSeries; readonly duration: HistogramSeries }>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLING_MS });
    this.grpcRequests = this.seriesCounterOf(FLYWHEEL_METRICS.grpcRequests);
    this.grpcDuration = this.seriesHistogramOf(FLYWHEEL_METRICS.grpcDuration);
  }

  /** `path` is the gRPC method path, `/package.Service/Method`; `code` the status name. */
  recordGrpcCall(path: string, code: string, seconds: number): void {
    const key = `${code} ${path}`;
    let series = this.grpcSeries.get(key);
    if (!series) {
      const [, service = 'unknown', method = 'unknown'] = /^\/([^/]+)\/([^/]+)$/.exec(path) ?? [];
      const labels = { service, method, code };
      series = { requests: this.grpcRequests.series(labels), duration: this.grpcDuration.series(labels) };
      this.grpcSeries.set(key, series);
    }
    series.requests.inc();
    series.duration.observe(seconds);
  }

  /** Per consumer group and partition: the log end offset minus the committed offset. */
  kafkaConsumerLag(): Gauge<'group' | 'topic' | 'partition'> {
    return this.gaugeOf(FLYWHEEL_METRICS.kafkaConsumerLag);
  }

  /** Outbox rows written but not yet published. */
  outboxBacklog(): Gauge<never> {
    return this.gaugeOf(FLYWHEEL_METRICS.outboxBacklog);
  }

  outboxParked(): Gauge<never> {
    return this.gaugeOf(FLYWHEEL_METRICS.outboxParked);
  }

  /** Text for a `/metrics` response, with its content type. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** The registry's counter of that name, created on first use (several parts of a service may ask for it). */
  counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return (
      (this.registered(name, Counter) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [this.registry] })
    );
  }

  /** The registry's histogram of that name, created on first use. */
  histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
    return (
      (this.registered(name, Histogram) as Histogram<L> | undefined) ??
      new Histogram<L>({ name, help, labelNames, buckets, registers: [this.registry] })
    );
  }

  /**
   * The registry's gauge of that name, created on first use. `collect`, if given, runs at each
   * read of the registry (a scrape) to set the gauge from what is known then; only the creating
   * caller's is kept.
   */
  gauge<L extends string>(name: string, help: string, labelNames: L[], collect?: (gauge: Gauge<L>) => void): Gauge<L> {
    return (
      (this.registered(name, Gauge) as Gauge<L> | undefined) ??
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers: [this.registry],
        ...(collect && {
          collect() {
            collect(this);
          },
        }),
      })
    );
  }

  /** The counter a catalogued definition (FLYWHEEL_METRICS) describes, created on first use. */
  counterOf<L extends string>(definition: MetricDefinition<L>): Counter<L> {
    return this.counter(definition.name, definition.help, [...definition.labelNames]);
  }

  /** The gauge a catalogued definition describes, created on first use. */
  gaugeOf<L extends string>(definition: MetricDefinition<L>, collect?: (gauge: Gauge<L>) => void): Gauge<L> {
    return this.gauge(definition.name, definition.help, [...definition.labelNames], collect);
  }

  /**
   * A counter of series handles (see series-metrics.ts) for calls on a hot path, created on
   * first use. The name must not be taken by a prom-client metric.
   */
  seriesCounterOf<L extends string>(definition: MetricDefinition<L>): SeriesCounter<L> {
    const existing = this.registered(definition.name, SeriesCounter);
    return (existing as SeriesCounter<L> | undefined) ?? new SeriesCounter(definition).register(this.registry);
  }

  /** A histogram of series handles for calls on a hot path, created on first use. */
  seriesHistogramOf<L extends string>(definition: MetricDefinition<L>): SeriesHistogram<L> {
    const existing = this.registered(definition.name, SeriesHistogram);
    return (existing as SeriesHistogram<L> | undefined) ?? new SeriesHistogram(definition).register(this.registry);
  }

  /** The metric registered under that name, if any; one of another kind is a mistake in the caller. */
  private registered(name: string, kind: abstract new (...args: never[]) => object): unknown {
    const existing: unknown = this.registry.getSingleMetric(name);
    if (existing !== undefined && !(existing instanceof kind))
      throw new TypeError(`metric ${name} is already registered as another kind of metric`);
    return existing;
  }

  /** The histogram a catalogued definition describes, created on first use. */
  histogramOf<L extends string>(definition: MetricDefinition<L>): Histogram<L> {
    return this.histogram(definition.name, definition.help, [...definition.labelNames], [...(definition.buckets ?? [])]);
  }
}
