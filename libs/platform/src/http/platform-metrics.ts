import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FLYWHEEL_METRICS, type MetricDefinition } from './metric-catalog';

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
  readonly grpcRequests: Counter<GrpcLabel>;
  readonly grpcDuration: Histogram<GrpcLabel>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLING_MS });
    this.grpcRequests = this.counterOf(FLYWHEEL_METRICS.grpcRequests);
    this.grpcDuration = this.histogramOf(FLYWHEEL_METRICS.grpcDuration);
  }

  /** `path` is the gRPC method path, `/package.Service/Method`; `code` the status name. */
  recordGrpcCall(path: string, code: string, seconds: number): void {
    const [, service = 'unknown', method = 'unknown'] = /^\/([^/]+)\/([^/]+)$/.exec(path) ?? [];
    const labels = { service, method, code };
    this.grpcRequests.inc(labels);
    this.grpcDuration.observe(labels, seconds);
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
      (this.registry.getSingleMetric(name) as Counter<L> | undefined) ??
      new Counter<L>({ name, help, labelNames, registers: [this.registry] })
    );
  }

  /** The registry's histogram of that name, created on first use. */
  histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
    return (
      (this.registry.getSingleMetric(name) as Histogram<L> | undefined) ??
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
      (this.registry.getSingleMetric(name) as Gauge<L> | undefined) ??
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

  /** The histogram a catalogued definition describes, created on first use. */
  histogramOf<L extends string>(definition: MetricDefinition<L>): Histogram<L> {
    return this.histogram(definition.name, definition.help, [...definition.labelNames], [...(definition.buckets ?? [])]);
  }
}
