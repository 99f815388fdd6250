import { type CategoryCounts } from './categories';
import { distinctCount } from './samples';

/**
 * Evidently bins a numeric column for PSI and Jensen–Shannon only when its reference has more
 * than 20 distinct values; otherwise each value is its own category.
 */
export const EVIDENTLY_MAX_CATEGORY_VALUES = 20;

/**
 * `np.histogram_bin_edges(pooled, bins='sturges')`: ⌈ptp / (ptp/(log₂ n + 1))⌉ equal-width
 * bins from the pooled minimum to maximum, edges by `np.linspace` (i·step + start, last edge
 * exactly the maximum).
 */
export function sturgesEdges(min: number, max: number, n: number): Float64Array {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const ptp = max - min;
  const width = ptp / (Math.log2(n) + 1);
  const bins = width ? Math.ceil((last - first) / width) : 1;
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let i = 0; i < bins; i++) edges[i] = i * step + first;
  edges[bins] = last;
  return edges;
}

/**
 * `np.histogram(values, edges)[0]` for ascending values: bins are [e_i, e_{i+1}) except the
 * last, which is closed; values outside the edges are not counted.
 */
export function histogramSorted(sorted: Float64Array, edges: Float64Array): Float64Array {
  const cum = new Float64Array(edges.length);
  let k = 0;
  for (let e = 0; e < edges.length - 1; e++) {
    while (k < sorted.length && sorted[k] < edges[e]) k++;
    cum[e] = k;
  }
  while (k < sorted.length && sorted[k] <= edges[edges.length - 1]) k++;
  cum[edges.length - 1] = k;
  const counts = new Float64Array(edges.length - 1);
  for (let i = 0; i < counts.length; i++) counts[i] = cum[i + 1] - cum[i];
  return counts;
}

/** Reference and current shares per bin or category, before any zero filling. */
export interface BinnedShares {
  readonly reference: Float64Array;
  readonly current: Float64Array;
  /** Bin edges when the column was binned, null when values were taken as categories. */
  readonly edges: Float64Array | null;
}

/**
 * Evidently's `get_binned_data` for a numeric column (both samples ascending and finite):
 * Sturges bins over the pooled sample when the reference has more than 20 distinct values,
 * otherwise one bin per distinct value. Shares are counts divided by each sample's size.
 */
export function binNumeric(reference: Float64Array, current: Float64Array, categories: () => CategoryCounts): BinnedShares {
  if (distinctCount(reference) > EVIDENTLY_MAX_CATEGORY_VALUES) {
    const min = Math.min(reference[0], current[0]);
    const max = Math.max(reference[reference.length - 1], current[current.length - 1]);
    const edges = sturgesEdges(min, max, reference.length + current.length);
    const r = histogramSorted(reference, edges);
    const c = histogramSorted(current, edges);
    for (let i = 0; i < r.length; i++) {
      r[i] /= reference.length;
      c[i] /= current.length;
    }
    return { reference: r, current: c, edges };
  }
  return { ...sharesOf(categories()), edges: null };
}

/** Category shares, count / sample size. */
export function sharesOf(counts: CategoryCounts): { reference: Float64Array; current: Float64Array } {
  const reference = counts.reference.map((c) => c / counts.nReference);
  const current = counts.current.map((c) => c / counts.nCurrent);
  return { reference, current };
}
