import { EVIDENTLY_MAX_CATEGORY_VALUES } from '../drift/binning';
import { type CategoricalFeatureProfile, type FeatureProfile, type NumericFeatureProfile, binIndex, quantileSorted } from './profile';

/**
 * Streaming summary of one numeric feature over a window, binned on the reference profile's
 * fixed edges. `add` is O(1) in the window size: a binary search over the B + 1 fixed edges,
 * Welford's update of mean and variance, min/max, and exact counts of up to 21 distinct
 * values (enough to reproduce Evidently's "≤ 5 values → categorical" and "≤ 20 values →
 * categories for PSI/JS" rules). No raw values are kept.
 */
export class NumericWindow {
  readonly type = 'numeric';
  readonly edges: Float64Array;
  /** Bin counts: [underflow, bin 1 … bin B, overflow]. */
  readonly counts: Float64Array;
  /** Sum of the values in each bin, same layout. */
  readonly sums: Float64Array;
  count = 0;
  missing = 0;
  min = Infinity;
  max = -Infinity;
  private welfordMean = 0;
  private welfordM2 = 0;
  private distinct: Map<number, number> | null = new Map();

  constructor(readonly profile: NumericFeatureProfile) {
    this.edges = Float64Array.from(profile.histogram.edges);
    this.counts = new Float64Array(this.edges.length + 1);
    this.sums = new Float64Array(this.edges.length + 1);
  }

  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.missing++;
      return;
    }
    const b = binIndex(this.edges, x);
    this.counts[b]++;
    this.sums[b] += x;
    this.count++;
    const delta = x - this.welfordMean;
    this.welfordMean += delta / this.count;
    this.welfordM2 += delta * (x - this.welfordMean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (this.distinct !== null) {
      this.distinct.set(x, (this.distinct.get(x) ?? 0) + 1);
      if (this.distinct.size > EVIDENTLY_MAX_CATEGORY_VALUES + 1) this.distinct = null;
    }
  }

  get mean(): number {
    return this.count > 0 ? this.welfordMean : NaN;
  }

  /** Population standard deviation. */
  get std(): number {
    return this.count > 0 ? Math.sqrt(this.welfordM2 / this.count) : NaN;
  }

  get missingShare(): number {
    const total = this.count + this.missing;
    return total > 0 ? this.missing / total : 0;
  }

  /** Exact value counts while the window has at most 21 distinct values, else null. */
  get valueCounts(): ReadonlyMap<number, number> | null {
    return this.distinct;
  }

  /**
   * Quantile estimate from the histogram: linear interpolation inside the bin that holds the
   * target rank (outer bins span [min, e₀) and (e_B, max]). Its rank error is at most the
   * mass of that bin — the quantile sketch of this summary.
   */
  quantile(p: number): number {
    if (this.count === 0) return NaN;
    if (this.distinct !== null) {
      const sorted = Float64Array.from([...this.distinct.entries()].flatMap(([v, c]) => new Array<number>(c).fill(v))).sort();
      return quantileSorted(sorted, p);
    }
    const target = p * this.count;
    let cum = 0;
    for (let b = 0; b < this.counts.length; b++) {
      const c = this.counts[b];
      if (c > 0 && cum + c >= target) {
        const [lo, hi] = this.binRange(b);
        return lo + ((hi - lo) * (target - cum)) / c;
      }
      cum += c;
    }
    return this.max;
  }

  /** Extent of bin b, the outer bins closed by the window's own min and max. */
  binRange(b: number): [number, number] {
    const last = this.edges.length - 1;
    if (b === 0) return [Math.min(this.min, this.edges[0]), this.edges[0]];
    if (b === last + 1) return [this.edges[last], Math.max(this.max, this.edges[last])];
    return [this.edges[b - 1], this.edges[b]];
  }
}

/** Streaming category counts of one categorical feature; `add` is one map update. */
export class CategoricalWindow {
  readonly type = 'categorical';
  readonly frequencies = new Map<string, number>();
  count = 0;
  missing = 0;

  constructor(readonly profile: CategoricalFeatureProfile) {}

  add(value: string | null | undefined): void {
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    this.frequencies.set(value, (this.frequencies.get(value) ?? 0) + 1);
    this.count++;
  }

  get missingShare(): number {
    const total = this.count + this.missing;
    return total > 0 ? this.missing / total : 0;
  }
}

export type FeatureWindow = NumericWindow | CategoricalWindow;

/** One empty window summary per profiled feature, keyed by feature name. */
export function createWindows(features: readonly FeatureProfile[]): Map<string, FeatureWindow> {
  return new Map(features.map((f) => [f.name, f.type === 'numeric' ? new NumericWindow(f) : new CategoricalWindow(f)]));
}
