import { type Metric, type Registry } from 'prom-client';
import { type MetricDefinition } from './metric-catalog';

type Labels<L extends string> = Readonly<Record<L, string>>;

/** A sample as prom-client's registry prints it: `metricName` (default: the metric's name), labels in order, value. */
interface Sample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** What prom-client's registry reads of a metric at a scrape. */
export interface MetricSnapshot {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly values: Sample[];
  readonly aggregator: 'sum';
}

/** One series of a {@link SeriesCounter}: a number, added to. */
export class CounterSeries<L extends string = string> {
  value = 0;
  /** Printed from its first use on, as prom-client does: a series held but never added to is not. */
  used = false;

  constructor(readonly labels: Labels<L>) {}

  inc(by = 1): void {
    this.value += by;
    this.used = true;
  }
}

/** One series of a {@link SeriesHistogram}: a count per bucket (not yet cumulative), a sum and a count. */
export class HistogramSeries<L extends string = string> {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels<L>,
    private readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    // A clock that went wrong must not fail the call it timed.
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && value > bounds[b]) b++;
    if (b < bounds.length) this.counts[b]++;
    this.sum += value;
    this.count++;
  }
}

/**
 * A labelled metric whose callers hold a series once and then only add to it. prom-client's own
 * counter and histogram take a label object on every call and check, sort and hash it, which
 * cost a served prediction about 20 µs; here that is done once per series (by {@link series}) and
 * a call is an addition or a short bucket search. The registry reads the series at each scrape
 * and prints them as prom-client prints its own, so `/metrics` does not change.
 */
abstract class SeriesMetric<L extends string, S extends { readonly labels: Labels<L> }> {
  readonly aggregator = 'sum' as const;
  private readonly bySeries = new Map<string, S>();

  protected constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {}

  abstract readonly type: 'counter' | 'histogram';

  /** The series of those labels, made on first use; callers on a hot path keep it. */
  series(labels: Labels<L>): S {
    const key = this.keyOf(labels);
    let series = this.bySeries.get(key);
    if (!series) {
      for (const name of Object.keys(labels))
        if (!this.labelNames.includes(name)) throw new TypeError(`metric ${this.name} has no label "${name}"`);
      const own = {} as Record<L, string>;
      for (const name of this.labelNames as readonly L[]) {
        const value = labels[name];
        if (typeof value !== 'string') throw new TypeError(`metric ${this.name}: label "${name}" is missing`);
        own[name] = value;
      }
      series = this.create(own);
      this.bySeries.set(key, series);
    }
    return series;
  }

  /** Drops a series; a handle kept by a caller then counts into nothing the registry reads. */
  remove(labels: Labels<L>): void {
    this.bySeries.delete(this.keyOf(labels));
  }

  reset(): void {
    this.bySeries.clear();
  }

  /** Registered as prom-client's registry expects a metric: a name, a type and `get()`. */
  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }

  async get(): Promise<MetricSnapshot> {
    const values: Sample[] = [];
    for (const series of this.bySeries.values()) this.export(series, values);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  protected abstract create(labels: Labels<L>): S;

  protected abstract export(series: S, into: Sample[]): void;

  private keyOf(labels: Labels<L>): string {
    let key = '';
    for (const name of this.labelNames as readonly L[]) key += `${labels[name]}\u0000`;
    return key;
  }
}

export class SeriesCounter<L extends string> extends SeriesMetric<L, CounterSeries<L>> {
  readonly type = 'counter' as const;

  constructor(definition: MetricDefinition<L>) {
    super(definition.name, definition.help, definition.labelNames);
  }

  protected create(labels: Labels<L>): CounterSeries<L> {
    return new CounterSeries(labels);
  }

  protected export(series: CounterSeries<L>, into: Sample[]): void {
    if (series.used) into.push({ labels: { ...series.labels }, value: series.value });
  }
}

export class SeriesHistogram<L extends string> extends SeriesMetric<L, HistogramSeries<L>> {
  readonly type = 'histogram' as const;
  private readonly bounds: Float64Array;

  constructor(definition: MetricDefinition<L>) {
    super(definition.name, definition.help, definition.labelNames);
    const buckets = definition.buckets ?? [];
    if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1])))
      throw new RangeError(`metric ${definition.name}: buckets must be finite and increasing`);
    this.bounds = Float64Array.from(buckets);
  }

  protected create(labels: Labels<L>): HistogramSeries<L> {
    return new HistogramSeries(labels, this.bounds);
  }

  /** As prom-client writes a histogram: cumulative buckets with `le` first, then +Inf, the sum and the count. */
  protected export(series: HistogramSeries<L>, into: Sample[]): void {
    if (series.count === 0) return;
    const bucket = `${this.name}_bucket`;
    let cumulative = 0;
    for (let b = 0; b < this.bounds.length; b++) {
      cumulative += series.counts[b];
      into.push({ labels: { le: this.bounds[b], ...series.labels }, value: cumulative, metricName: bucket });
    }
    into.push({ labels: { le: '+Inf', ...series.labels }, value: series.count, metricName: bucket });
    into.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
    into.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
  }
}
