import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type GrpcLabel = 'service' | 'method' | 'code';

/** Latency buckets (seconds) for calls from sub-millisecond reads to multi-second training submits. */
const GRPC_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
    this.grpcRequests = new Counter({
      name: 'flywheel_grpc_requests_total',
      help: 'gRPC calls handled, by service, method and status code.',
      labelNames: ['service', 'method', 'code'],
      registers: [this.registry],
    });
    this.grpcDuration = new Histogram({
      name: 'flywheel_grpc_request_duration_seconds',
      help: 'Time from receiving a gRPC call to sending its status.',
      labelNames: ['service', 'method', 'code'],
      buckets: GRPC_DURATION_BUCKETS,
      registers: [this.registry],
    });
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
    return this.gauge('flywheel_kafka_consumer_lag', 'Messages not yet consumed, by group, topic and partition.', [
      'group',
      'topic',
      'partition',
    ]);
  }

  /** Outbox rows written but not yet published. */
  outboxBacklog(): Gauge<never> {
    return this.gauge('flywheel_outbox_backlog', 'Outbox events written but not yet published.', []);
  }

  outboxParked(): Gauge<never> {
    return this.gauge(
      'flywheel_outbox_parked',
      'Outbox events given up on (too large, or refused after every retry); they need a person.',
      [],
    );
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

  private gauge<L extends string>(name: string, help: string, labelNames: L[]): Gauge<L> {
    return (
      (this.registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge<L>({ name, help, labelNames, registers: [this.registry] })
    );
  }
}
