import { benjaminiHochberg } from './benjamini-hochberg';
import { binNumeric, sharesOf } from './binning';
import { type CategoricalArray, type CategoryCounts, categoricalCounts, numericValueCounts } from './categories';
import { chiSquareFromCounts } from './chi-square';
import { jensenShannonDistance } from './jensen-shannon';
import { type KsMethod, ksTwoSampleSorted } from './ks';
import { fillZeroShares, populationStabilityIndex } from './psi';
import { type NumericArray, distinctUnionCount, sortedFinite } from './samples';
import { normalizedWassersteinSorted } from './wasserstein';
import { twoProportionZTest } from './z-test';

export type ColumnKind = 'numeric' | 'categorical';
export type StatTestName = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon' | 'psi';

/** Whether a test's score is a p-value (drift when small) or a distance (drift when large). */
export const STAT_TEST_KIND: Readonly<Record<StatTestName, 'p-value' | 'distance'>> = {
  ks: 'p-value',
  chisquare: 'p-value',
  z: 'p-value',
  wasserstein: 'distance',
  jensenshannon: 'distance',
  psi: 'distance',
};

/** Evidently's default thresholds: 0.05 for p-values, 0.1 for distances. */
export const DEFAULT_THRESHOLDS: Readonly<Record<StatTestName, number>> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

/** Evidently switches from hypothesis tests to distances above this many reference rows. */
export const SMALL_REFERENCE_MAX_ROWS = 1000;
/** A numeric column with at most this many distinct values (reference ∪ current) is tested as categorical. */
export const NUMERIC_AS_CATEGORICAL_MAX_VALUES = 5;

export type DriftColumnInput =
  | { readonly name: string; readonly type: 'numeric'; readonly reference: NumericArray; readonly current: NumericArray }
  | { readonly name: string; readonly type: 'categorical'; readonly reference: CategoricalArray; readonly current: CategoricalArray };

export interface ColumnDriftOptions {
  /** Test to use instead of the automatic choice. */
  readonly test?: StatTestName;
  /** Threshold instead of the test's default. */
  readonly threshold?: number;
}

export type DatasetDriftRule =
  /** Evidently: the dataset drifts when the share of drifted columns is ≥ `share` (default 0.5). */
  | { readonly method: 'share'; readonly share?: number }
  /**
   * P-value columns are decided by Benjamini–Hochberg at false-discovery rate `fdr` (default
   * 0.05) instead of their own thresholds; distance columns keep theirs; the dataset drifts
   * when any column drifts. With only p-value tests this is Simes' global test at level fdr.
   */
  | { readonly method: 'benjamini-hochberg'; readonly fdr?: number };

export interface DriftOptions {
  /** Per-column overrides by column name. */
  readonly columns?: Readonly<Record<string, ColumnDriftOptions>>;
  /** Test for every column without a per-column test (Evidently's `stattest`). */
  readonly test?: StatTestName;
  /** Threshold for every column without a per-column threshold (Evidently's `stattest_threshold`). */
  readonly threshold?: number;
  readonly dataset?: DatasetDriftRule;
  /** `ks_2samp` method; default 'auto' as Evidently. */
  readonly ksMethod?: KsMethod;
  /** Logarithm base of the Jensen–Shannon distance; default e (see README, "Drift statistics"). */
  readonly jensenShannonBase?: number;
}

export interface ColumnDriftResult {
  readonly name: string;
  readonly type: ColumnKind;
  readonly test: StatTestName;
  /** KS D, χ², z, or the distance itself. */
  readonly statistic: number;
  /** The test's p-value; null for distances. */
  readonly pValue: number | null;
  /** Benjamini–Hochberg adjusted p-value, present under that dataset rule. */
  readonly adjustedPValue?: number;
  readonly threshold: number;
  readonly drifted: boolean;
}

export interface DatasetDriftResult {
  readonly method: 'share' | 'benjamini-hochberg';
  /** The share threshold, or the false discovery rate. */
  readonly threshold: number;
  readonly numberOfColumns: number;
  readonly numberOfDriftedColumns: number;
  readonly shareOfDriftedColumns: number;
  readonly drifted: boolean;
}

export interface DriftReport {
  readonly columns: readonly ColumnDriftResult[];
  readonly dataset: DatasetDriftResult;
}

/** A column's data after missing values are dropped, in the forms the tests need. */
export type PreparedColumn =
  | { readonly kind: 'numeric'; readonly reference: Float64Array; readonly current: Float64Array; counts(): CategoryCounts<number> }
  | { readonly kind: 'categorical'; readonly counts: CategoryCounts<string> };

export function prepareColumn(column: DriftColumnInput): PreparedColumn {
  let prepared: PreparedColumn;
  let nRef: number;
  let nCur: number;
  if (column.type === 'numeric') {
    const reference = sortedFinite(column.reference);
    const current = sortedFinite(column.current);
    let counts: CategoryCounts<number> | undefined;
    prepared = { kind: 'numeric', reference, current, counts: () => (counts ??= numericValueCounts(reference, current)) };
    nRef = reference.length;
    nCur = current.length;
  } else {
    const counts = categoricalCounts(column.reference, column.current);
    prepared = { kind: 'categorical', counts };
    nRef = counts.nReference;
    nCur = counts.nCurrent;
  }
  // Evidently raises on an empty column too: no statistic is defined on it.
  if (nRef === 0) throw new RangeError(`drift: column "${column.name}" has no non-missing reference values`);
  if (nCur === 0) throw new RangeError(`drift: column "${column.name}" has no non-missing current values`);
  return prepared;
}

/** Evidently's `_get_default_stattest` for a non-text column. */
export function defaultStatTest(prepared: PreparedColumn): StatTestName {
  const nReference = prepared.kind === 'numeric' ? prepared.reference.length : prepared.counts.nReference;
  const nValues =
    prepared.kind === 'numeric'
      ? distinctUnionCount(prepared.reference, prepared.current, NUMERIC_AS_CATEGORICAL_MAX_VALUES + 1)
      : prepared.counts.keys.length;
  const numericLike = prepared.kind === 'numeric' && nValues > NUMERIC_AS_CATEGORICAL_MAX_VALUES;
  if (nReference <= SMALL_REFERENCE_MAX_ROWS) {
    if (numericLike) return 'ks';
    return nValues > 2 ? 'chisquare' : 'z';
  }
  return numericLike ? 'wasserstein' : 'jensenshannon';
}

function countsOf(prepared: PreparedColumn): CategoryCounts {
  return prepared.kind === 'numeric' ? prepared.counts() : prepared.counts;
}

function sharesFor(prepared: PreparedColumn): { reference: Float64Array; current: Float64Array } {
  return prepared.kind === 'numeric' ? binNumeric(prepared.reference, prepared.current, prepared.counts) : sharesOf(prepared.counts);
}

/** Evidently's z-test on a (at most) two-valued column: the first key in sorted order is "0"; one shared value gives p = 1. */
export function zTestOnCounts(counts: CategoryCounts): { statistic: number; pValue: number } {
  const { keys, reference, current, nReference, nCurrent } = counts;
  if (keys.length === 1) return { statistic: 0, pValue: 1 };
  return twoProportionZTest(nReference - reference[0], nReference, nCurrent - current[0], nCurrent);
}

export interface StatTestOutcome {
  readonly statistic: number;
  readonly pValue: number | null;
}

/** Runs one named test on a prepared column. */
export function runStatTest(
  test: StatTestName,
  prepared: PreparedColumn,
  options: Pick<DriftOptions, 'ksMethod' | 'jensenShannonBase'> = {},
): StatTestOutcome {
  switch (test) {
    case 'ks': {
      if (prepared.kind !== 'numeric') throw new RangeError('drift: the ks test needs a numeric column');
      const r = ksTwoSampleSorted(prepared.reference, prepared.current, options.ksMethod ?? 'auto');
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case 'wasserstein':
      if (prepared.kind !== 'numeric') throw new RangeError('drift: the wasserstein test needs a numeric column');
      return { statistic: normalizedWassersteinSorted(prepared.reference, prepared.current), pValue: null };
    case 'chisquare': {
      const counts = countsOf(prepared);
      return chiSquareFromCounts(counts.reference, counts.current);
    }
    case 'z':
      return zTestOnCounts(countsOf(prepared));
    case 'jensenshannon': {
      const s = sharesFor(prepared);
      return { statistic: jensenShannonDistance(s.reference, s.current, options.jensenShannonBase), pValue: null };
    }
    case 'psi': {
      const s = sharesFor(prepared);
      return { statistic: populationStabilityIndex(fillZeroShares(s.reference), fillZeroShares(s.current)), pValue: null };
    }
  }
}

/**
 * Drift decision for one score. Evidently compares as each test does: KS drifts at p ≤ threshold,
 * chi-square and z at p < threshold, distances at ≥ threshold.
 */
export function isDrifted(test: StatTestName, outcome: StatTestOutcome, threshold: number): boolean {
  if (STAT_TEST_KIND[test] === 'distance') return outcome.statistic >= threshold;
  const p = outcome.pValue as number;
  return test === 'ks' ? p <= threshold : p < threshold;
}

/** Decides the dataset verdict (and BH-corrected column verdicts) from per-column results. */
export function decideDatasetDrift(
  columns: readonly ColumnDriftResult[],
  rule: DatasetDriftRule = { method: 'share' },
): { columns: ColumnDriftResult[]; dataset: DatasetDriftResult } {
  const results = [...columns];
  let threshold: number;
  if (rule.method === 'benjamini-hochberg') {
    threshold = rule.fdr ?? 0.05;
    const withP = results.map((c, i) => ({ c, i })).filter(({ c }) => c.pValue !== null);
    const adjusted = benjaminiHochberg(withP.map(({ c }) => c.pValue as number));
    withP.forEach(({ c, i }, k) => {
      results[i] = { ...c, adjustedPValue: adjusted[k], drifted: adjusted[k] <= threshold };
    });
  } else {
    threshold = rule.share ?? 0.5;
  }
  const numberOfColumns = results.length;
  const numberOfDriftedColumns = results.filter((c) => c.drifted).length;
  const shareOfDriftedColumns = numberOfColumns > 0 ? numberOfDriftedColumns / numberOfColumns : 0;
  const drifted = rule.method === 'benjamini-hochberg' ? numberOfDriftedColumns > 0 : shareOfDriftedColumns >= threshold;
  return {
    columns: results,
    dataset: { method: rule.method, threshold, numberOfColumns, numberOfDriftedColumns, shareOfDriftedColumns, drifted },
  };
}

/**
 * Column-by-column drift between a reference and a current sample, choosing each test as
 * Evidently does by default (see {@link defaultStatTest}) unless overridden, then the dataset
 * verdict by the chosen rule.
 */
export function driftReport(columns: readonly DriftColumnInput[], options: DriftOptions = {}): DriftReport {
  const results: ColumnDriftResult[] = columns.map((column) => {
    const prepared = prepareColumn(column);
    const override = options.columns?.[column.name] ?? {};
    const test = override.test ?? options.test ?? defaultStatTest(prepared);
    const threshold = override.threshold ?? options.threshold ?? DEFAULT_THRESHOLDS[test];
    let outcome: StatTestOutcome;
    try {
      outcome = runStatTest(test, prepared, options);
    } catch (e) {
      throw new RangeError(`drift: column "${column.name}": ${(e as Error).message}`);
    }
    return { name: column.name, type: column.type, test, ...outcome, threshold, drifted: isDrifted(test, outcome, threshold) };
  });
  return decideDatasetDrift(results, options.dataset);
}
