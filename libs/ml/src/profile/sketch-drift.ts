import { sharesOf } from '../drift/binning';
import { type CategoryCounts, categoryCountsFromMaps } from '../drift/categories';
import { chiSquareFromCounts } from '../drift/chi-square';
import { jensenShannonDistance } from '../drift/jensen-shannon';
import { ksTwoSamplePValue } from '../drift/ks';
import { fillZeroShares, populationStabilityIndex } from '../drift/psi';
import {
  type ColumnDriftResult,
  type DriftOptions,
  type DriftReport,
  type StatTestName,
  DEFAULT_THRESHOLDS,
  NUMERIC_AS_CATEGORICAL_MAX_VALUES,
  SMALL_REFERENCE_MAX_ROWS,
  decideDatasetDrift,
  isDrifted,
  zTestOnCounts,
} from '../drift/report';
import { WASSERSTEIN_STD_FLOOR } from '../drift/wasserstein';
import { type DataProfile } from './profile';
import { type FeatureWindow, type NumericWindow } from './window';

/**
 * Drift from a reference profile and window summaries, without raw rows.
 *
 * Exact (identical to {@link driftReport} on the raw data): chi-square, z-test, and PSI /
 * Jensen–Shannon on categorical features and on numeric features with ≤ 20 distinct
 * reference values (exact value counts are kept for those).
 *
 * Approximate, with a guaranteed bound reported as `errorBound`:
 * - KS statistic from the binned CDFs: D_b ≤ D ≤ D_b + max over bins of
 *   max(reference mass, window mass). (Both CDFs are known exactly at every bin edge and
 *   are monotone inside a bin.) The p-value is computed from D_b with the true sample sizes;
 *   as p is decreasing in D, p(D_b + bound) ≤ p_exact ≤ p(D_b).
 * - Wasserstein: per bin, ∫(F − G) is exact from bin counts and value sums, so
 *   W_b = Σ|∫_bin (F − G)| ≤ W ≤ W_b + Σ 2·width·min(max(F − G)⁺, max(G − F)⁺), the sum
 *   over bins where F − G may change sign (at most Σ width·(reference mass + window mass));
 *   normalised by the profile's std like the exact test.
 *
 * Different binning (no bound claimed): PSI / Jensen–Shannon on numeric features with more
 * than 20 distinct reference values use the profile's fixed quantile bins plus under/overflow
 * bins, whereas Evidently bins reference ∪ current with Sturges' rule — which cannot be
 * reproduced without the current raw values.
 */
export interface SketchColumnDriftResult extends ColumnDriftResult {
  /** Largest possible |sketch statistic − exact statistic|; 0 when the statistic is exact. */
  readonly errorBound: number;
}

export interface SketchDriftReport extends DriftReport {
  readonly columns: readonly SketchColumnDriftResult[];
}

/** Reference and window counts over [underflow, bins…, overflow], and the bins' value sums. */
function binnedCounts(w: NumericWindow): { ref: Float64Array; refSums: Float64Array; nRef: number } {
  const h = w.profile.histogram;
  const ref = new Float64Array(w.counts.length);
  const refSums = new Float64Array(w.counts.length);
  for (let i = 0; i < h.counts.length; i++) {
    ref[i + 1] = h.counts[i];
    refSums[i + 1] = h.sums[i];
  }
  return { ref, refSums, nRef: w.profile.count };
}

/** Binned two-sample KS statistic and its error bound (see {@link SketchColumnDriftResult}). */
export function sketchKsStatistic(w: NumericWindow): { statistic: number; errorBound: number } {
  const { ref, nRef } = binnedCounts(w);
  let cr = 0;
  let cc = 0;
  let d = 0;
  let bound = 0;
  for (let b = 0; b < ref.length; b++) {
    cr += ref[b];
    cc += w.counts[b];
    d = Math.max(d, Math.abs(cr / nRef - cc / w.count));
    bound = Math.max(bound, ref[b] / nRef, w.counts[b] / w.count);
  }
  return { statistic: d, errorBound: bound };
}

/** Binned W₁(reference, window) and its error bound, not normalised. */
export function sketchWasserstein(w: NumericWindow): { distance: number; errorBound: number } {
  const { ref, refSums, nRef } = binnedCounts(w);
  let fr = 0;
  let fc = 0;
  let distance = 0;
  let bound = 0;
  for (let b = 0; b < ref.length; b++) {
    const [lo, hi] = w.binRange(b);
    const width = hi - lo;
    const cr = ref[b];
    const cc = w.counts[b];
    if (cr === 0 && cc === 0) {
      distance += Math.abs(width * (fr - fc));
      continue;
    }
    // ∫_lo^hi F = width·F(lo⁻) + Σ_{x in bin} (hi − x)/n.
    const integral = width * (fr - fc) + (cr * hi - refSums[b]) / nRef - (cc * hi - w.sums[b]) / w.count;
    distance += Math.abs(integral);
    // Inside the bin h = F − G ranges over [h(lo) − window mass, h(lo) + reference mass];
    // ∫|h| − |∫h| ≤ 2·min(∫h⁺, ∫h⁻) ≤ 2·width·min(max h⁺, max h⁻), zero without a sign change.
    const h = fr - fc;
    bound += 2 * width * Math.min(Math.max(0, h + cr / nRef), Math.max(0, cc / w.count - h));
    fr += cr / nRef;
    fc += cc / w.count;
  }
  return { distance, errorBound: bound };
}

function valueCountsOf(w: FeatureWindow): CategoryCounts | null {
  if (w.type === 'categorical') {
    return categoryCountsFromMaps(new Map(Object.entries(w.profile.frequencies)), w.frequencies);
  }
  const refValues = w.profile.values;
  const cur = w.valueCounts;
  if (refValues === null || cur === null) return null;
  return categoryCountsFromMaps(new Map(refValues.values.map((v, i) => [v, refValues.counts[i]])), new Map(cur));
}

function defaultSketchTest(w: FeatureWindow, counts: CategoryCounts | null): StatTestName {
  const nValues = counts === null ? Infinity : counts.keys.length;
  const numericLike = w.type === 'numeric' && nValues > NUMERIC_AS_CATEGORICAL_MAX_VALUES;
  if (w.profile.count <= SMALL_REFERENCE_MAX_ROWS) {
    if (numericLike) return 'ks';
    return nValues > 2 ? 'chisquare' : 'z';
  }
  return numericLike ? 'wasserstein' : 'jensenshannon';
}

function sharesFor(w: FeatureWindow, counts: CategoryCounts | null): { reference: Float64Array; current: Float64Array } {
  if (counts !== null) return sharesOf(counts);
  const nw = w as NumericWindow;
  const { ref, nRef } = binnedCounts(nw);
  return { reference: ref.map((c) => c / nRef), current: nw.counts.map((c) => c / nw.count) };
}

function runSketchTest(
  test: StatTestName,
  w: FeatureWindow,
  counts: CategoryCounts | null,
  options: DriftOptions,
): { statistic: number; pValue: number | null; errorBound: number } {
  switch (test) {
    case 'ks': {
      if (w.type !== 'numeric') throw new RangeError('the ks test needs a numeric feature');
      const { statistic, errorBound } = sketchKsStatistic(w);
      const r = ksTwoSamplePValue(statistic, w.profile.count, w.count, options.ksMethod ?? 'auto');
      return { statistic: r.statistic, pValue: r.pValue, errorBound };
    }
    case 'wasserstein': {
      if (w.type !== 'numeric') throw new RangeError('the wasserstein test needs a numeric feature');
      const norm = Math.max(w.profile.std, WASSERSTEIN_STD_FLOOR);
      const { distance, errorBound } = sketchWasserstein(w);
      return { statistic: distance / norm, pValue: null, errorBound: errorBound / norm };
    }
    case 'chisquare':
    case 'z': {
      if (counts === null) throw new RangeError(`the ${test} test needs exact value counts (at most 21 distinct values)`);
      const r = test === 'z' ? zTestOnCounts(counts) : chiSquareFromCounts(counts.reference, counts.current);
      return { ...r, errorBound: 0 };
    }
    case 'jensenshannon': {
      const s = sharesFor(w, counts);
      return { statistic: jensenShannonDistance(s.reference, s.current, options.jensenShannonBase), pValue: null, errorBound: 0 };
    }
    case 'psi': {
      const s = sharesFor(w, counts);
      return { statistic: populationStabilityIndex(fillZeroShares(s.reference), fillZeroShares(s.current)), pValue: null, errorBound: 0 };
    }
  }
}

/**
 * The drift report of {@link driftReport}, computed from a reference profile and one window
 * summary per feature. Features without a window are skipped; an empty window is an error
 * naming the feature, as an all-missing column is for the exact report.
 */
export function sketchDriftReport(
  profile: DataProfile,
  windows: ReadonlyMap<string, FeatureWindow>,
  options: DriftOptions = {},
): SketchDriftReport {
  const results: SketchColumnDriftResult[] = [];
  for (const feature of profile.features) {
    const w = windows.get(feature.name);
    if (w === undefined) continue;
    if (w.count === 0) throw new RangeError(`drift: feature "${feature.name}" has no non-missing values in the window`);
    const counts = valueCountsOf(w);
    const override = options.columns?.[feature.name] ?? {};
    const test = override.test ?? options.test ?? defaultSketchTest(w, counts);
    const threshold = override.threshold ?? options.threshold ?? DEFAULT_THRESHOLDS[test];
    let outcome: { statistic: number; pValue: number | null; errorBound: number };
    try {
      outcome = runSketchTest(test, w, counts, options);
    } catch (e) {
      throw new RangeError(`drift: feature "${feature.name}": ${(e as Error).message}`);
    }
    results.push({ name: feature.name, type: feature.type, test, ...outcome, threshold, drifted: isDrifted(test, outcome, threshold) });
  }
  const decided = decideDatasetDrift(results, options.dataset);
  return { columns: decided.columns as SketchColumnDriftResult[], dataset: decided.dataset };
}
