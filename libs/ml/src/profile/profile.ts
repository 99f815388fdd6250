import { type CategoricalArray } from '../drift/categories';
import { type NumericArray } from '../drift/samples';
import { EVIDENTLY_MAX_CATEGORY_VALUES } from '../drift/binning';
import { sortNumbers } from '../stats/sort-numbers';
import { CompensatedSum } from '../stats/summation';

/** Profile format version; bump when fields change meaning. */
export const PROFILE_VERSION = 1;
export const DEFAULT_PROFILE_BINS = 100;
export const DEFAULT_PROFILE_QUANTILES: readonly number[] = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

/**
 * Fixed bins of a numeric feature: edges e₀ < … < e_B; bin i is [e_i, e_{i+1}), the last one
 * closed. Windows add an underflow bin (< e₀) and an overflow bin (> e_B). `sums` holds the sum
 * of the values in each bin, which makes the Wasserstein integral exact within a bin.
 */
export interface FixedHistogram {
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  readonly sums: readonly number[];
}

export interface NumericFeatureProfile {
  readonly name: string;
  readonly type: 'numeric';
  /** Non-missing values. */
  readonly count: number;
  readonly missing: number;
  readonly missingShare: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Population standard deviation (ddof = 0, `np.std`), the Wasserstein normaliser. */
  readonly std: number;
  /** Exact quantiles (numpy's default 'linear' method) at `quantiles.probabilities`. */
  readonly quantiles: { readonly probabilities: readonly number[]; readonly values: readonly number[] };
  readonly histogram: FixedHistogram;
  /**
   * Exact counts per distinct value when there are at most 20 (Evidently then treats the
   * column's values as categories for PSI / Jensen–Shannon); null otherwise.
   */
  readonly values: { readonly values: readonly number[]; readonly counts: readonly number[] } | null;
}

export interface CategoricalFeatureProfile {
  readonly name: string;
  readonly type: 'categorical';
  readonly count: number;
  readonly missing: number;
  readonly missingShare: number;
  /** Count per category (missing excluded). */
  readonly frequencies: Readonly<Record<string, number>>;
}

export type FeatureProfile = NumericFeatureProfile | CategoricalFeatureProfile;

/** The training-data profile stored in a model artifact: plain JSON, the monitor's reference. */
export interface DataProfile {
  readonly version: typeof PROFILE_VERSION;
  readonly rows: number;
  readonly features: readonly FeatureProfile[];
}

export type ProfileColumnInput =
  | { readonly name: string; readonly type: 'numeric'; readonly values: NumericArray }
  | { readonly name: string; readonly type: 'categorical'; readonly values: CategoricalArray };

export interface ProfileOptions {
  /** Number of reference-quantile bins (fewer when values repeat); default 100. */
  readonly bins?: number;
  readonly quantiles?: readonly number[];
}

/** numpy's 'linear' quantile of ascending data, including its two-sided lerp. */
export function quantileSorted(sorted: Float64Array, p: number): number {
  const n = sorted.length;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const t = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Bin edges at reference quantiles k/B (k = 0…B), duplicates removed: bins of roughly equal
 * reference mass, which is what bounds the error of binned KS (see README, "Drift from sketches").
 */
export function quantileEdges(sorted: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  for (let k = 0; k <= bins; k++) {
    const e = k === bins ? sorted[sorted.length - 1] : quantileSorted(sorted, k / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  if (edges.length === 1) edges.push(edges[0]);
  return edges;
}

/**
 * Bin index of x for edges e₀ … e_B: 0 below e₀, i + 1 for [e_i, e_{i+1}) (the last bin also
 * takes e_B), B + 1 above e_B. Binary search: O(log B) with B fixed at profile time.
 */
export function binIndex(edges: ArrayLike<number>, x: number): number {
  const last = edges.length - 1;
  if (x < edges[0]) return 0;
  if (x > edges[last]) return last + 1;
  if (x === edges[last]) return last;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo + 1;
}

function profileNumeric(name: string, values: NumericArray, options: ProfileOptions): NumericFeatureProfile {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  const sorted = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) sorted[k++] = values[i];
  sortNumbers(sorted);
  const missing = values.length - n;
  const missingShare = values.length > 0 ? missing / values.length : 0;
  if (n === 0) throw new RangeError(`profile: column "${name}" has no non-missing values`);
  const sum = new CompensatedSum();
  for (let i = 0; i < n; i++) sum.add(sorted[i]);
  const mean = sum.value / n;
  const ss = new CompensatedSum();
  for (let i = 0; i < n; i++) ss.add((sorted[i] - mean) ** 2);
  const probabilities = [...(options.quantiles ?? DEFAULT_PROFILE_QUANTILES)];
  const edges = quantileEdges(sorted, options.bins ?? DEFAULT_PROFILE_BINS);
  const nb = edges.length - 1;
  const counts = new Array<number>(nb).fill(0);
  const sums = new Array<number>(nb).fill(0);
  for (let i = 0; i < n; i++) {
    const b = binIndex(edges, sorted[i]) - 1;
    counts[b]++;
    sums[b] += sorted[i];
  }
  const distinct: number[] = [];
  const distinctCounts: number[] = [];
  for (let i = 0; i < n && distinct.length <= EVIDENTLY_MAX_CATEGORY_VALUES; i++) {
    if (i > 0 && sorted[i] === sorted[i - 1]) distinctCounts[distinctCounts.length - 1]++;
    else {
      distinct.push(sorted[i]);
      distinctCounts.push(1);
    }
  }
  return {
    name,
    type: 'numeric',
    count: n,
    missing,
    missingShare,
    min: sorted[0],
    max: sorted[n - 1],
    mean,
    std: Math.sqrt(ss.value / n),
    quantiles: { probabilities, values: probabilities.map((p) => quantileSorted(sorted, p)) },
    histogram: { edges, counts, sums },
    values: distinct.length <= EVIDENTLY_MAX_CATEGORY_VALUES ? { values: distinct, counts: distinctCounts } : null,
  };
}

function profileCategorical(name: string, values: CategoricalArray): CategoricalFeatureProfile {
  const frequencies: Record<string, number> = {};
  let total = 0;
  let count = 0;
  if ('codes' in values) {
    const perCode = new Float64Array(values.dictionary.length);
    for (let i = 0; i < values.codes.length; i++) if (values.codes[i] >= 0) perCode[values.codes[i]]++;
    values.dictionary.forEach((key, code) => {
      if (perCode[code] > 0) frequencies[key] = (frequencies[key] ?? 0) + perCode[code];
      count += perCode[code];
    });
    total = values.codes.length;
  } else {
    for (const v of values) {
      if (v !== null && v !== undefined) {
        frequencies[v] = (frequencies[v] ?? 0) + 1;
        count++;
      }
    }
    total = values.length;
  }
  if (count === 0) throw new RangeError(`profile: column "${name}" has no non-missing values`);
  return { name, type: 'categorical', count, missing: total - count, missingShare: total > 0 ? (total - count) / total : 0, frequencies };
}

/** Profiles training data: the reference the monitor compares later windows with. */
export function buildProfile(columns: readonly ProfileColumnInput[], options: ProfileOptions = {}): DataProfile {
  const lengthOf = (c: ProfileColumnInput): number => ('codes' in c.values ? c.values.codes.length : c.values.length);
  const rows = columns.length > 0 ? lengthOf(columns[0]) : 0;
  const features = columns.map((c) => {
    if (lengthOf(c) !== rows) throw new RangeError(`profile: column "${c.name}" has ${lengthOf(c)} rows, expected ${rows}`);
    return c.type === 'numeric' ? profileNumeric(c.name, c.values, options) : profileCategorical(c.name, c.values);
  });
  return { version: PROFILE_VERSION, rows, features };
}
