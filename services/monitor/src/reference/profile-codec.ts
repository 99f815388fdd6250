import { commonV1 } from '@flywheel/contracts';
import {
  type CategoricalFeatureProfile,
  type DataProfile,
  type FeatureProfile,
  type FeatureWindow,
  type NumericFeatureProfile,
  PROFILE_VERSION,
} from '@flywheel/ml';

const { ColumnType } = commonV1;

/** Quantile probabilities of the contract's NumericSummary: 0, 0.05, …, 1. */
export const CONTRACT_QUANTILES: readonly number[] = Array.from({ length: 21 }, (_, k) => k / 20);
/** Categories beyond a profile's `top_values` are counted together under this name. */
export const OTHER_CATEGORY = '\u0000other';
const MAX_TOP_VALUES = 100;

export interface DecodedReference {
  readonly profile: DataProfile;
  /** The contract's type of each profiled column, reported back in drift results. */
  readonly columnTypes: Readonly<Record<string, commonV1.ColumnType>>;
  /** Columns that could not serve as a reference, with why. */
  readonly skipped: ReadonlyArray<{ column: string; reason: string }>;
}

/**
 * The library's profile from the contract's. The contract carries bin edges and counts but
 * neither per-bin value sums nor exact counts of low-cardinality numeric values, so: each
 * bin's sum is taken at its midpoint (Wasserstein inside a bin is then approximate, by at most
 * half a bin width per value), and numeric features are always tested as numeric (KS /
 * Wasserstein), never as categories. Categories beyond `top_values` become one "other" category.
 */
export function decodeProfile(profile: commonV1.DataProfile): DecodedReference {
  const features: FeatureProfile[] = [];
  const columnTypes: Record<string, commonV1.ColumnType> = {};
  const skipped: Array<{ column: string; reason: string }> = [];
  for (const column of profile.columns) {
    try {
      const feature =
        column.numeric !== undefined
          ? decodeNumeric(column, column.numeric)
          : column.categorical !== undefined
            ? decodeCategorical(column, column.categorical)
            : null;
      if (feature === null) {
        skipped.push({ column: column.name, reason: 'has no summary' });
        continue;
      }
      features.push(feature);
      columnTypes[column.name] = column.type;
    } catch (error) {
      skipped.push({ column: column.name, reason: (error as Error).message });
    }
  }
  return { profile: { version: PROFILE_VERSION, rows: profile.rowCount, features }, columnTypes, skipped };
}

function decodeNumeric(column: commonV1.ColumnProfile, summary: commonV1.NumericSummary): NumericFeatureProfile {
  if (column.count <= 0) throw new Error('has no non-missing values');
  let edges = summary.histogramEdges;
  let counts = summary.histogramCounts;
  if (edges.length < 2 || counts.length !== edges.length - 1) {
    // No usable histogram: one bin spanning the observed range.
    edges = [summary.min, summary.max];
    counts = [column.count];
  }
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i] >= edges[i - 1])) throw new Error(`histogram edges must ascend (edge ${i})`);
  }
  const count = counts.reduce((a, b) => a + b, 0);
  if (count <= 0) throw new Error('histogram is empty');
  const sums = counts.map((c, i) => (c * (edges[i] + edges[i + 1])) / 2);
  const n = column.count;
  const populationStd = n > 1 ? summary.std * Math.sqrt((n - 1) / n) : 0;
  const probabilities = summary.quantiles.length > 1 ? summary.quantiles.map((_, k) => k / (summary.quantiles.length - 1)) : [];
  const total = count + column.nullCount;
  return {
    name: column.name,
    type: 'numeric',
    count,
    missing: column.nullCount,
    missingShare: total > 0 ? column.nullCount / total : 0,
    min: summary.min,
    max: summary.max,
    mean: summary.mean,
    std: populationStd,
    quantiles: { probabilities, values: probabilities.length > 0 ? [...summary.quantiles] : [] },
    histogram: { edges: [...edges], counts: [...counts], sums },
    values: null,
  };
}

function decodeCategorical(column: commonV1.ColumnProfile, summary: commonV1.CategoricalSummary): CategoricalFeatureProfile {
  const frequencies: Record<string, number> = {};
  let count = 0;
  for (const top of summary.topValues) {
    if (top.count <= 0) continue;
    frequencies[top.value] = (frequencies[top.value] ?? 0) + top.count;
    count += top.count;
  }
  if (summary.otherCount > 0) {
    frequencies[OTHER_CATEGORY] = summary.otherCount;
    count += summary.otherCount;
  }
  if (count <= 0) throw new Error('has no categories');
  const total = count + column.nullCount;
  return {
    name: column.name,
    type: 'categorical',
    count,
    missing: column.nullCount,
    missingShare: total > 0 ? column.nullCount / total : 0,
    frequencies,
  };
}

/**
 * The contract's profile of a library profile, as a trainer would publish it with a model
 * version (numeric quantiles read off the histogram).
 */
export function encodeProfile(profile: DataProfile, columnTypes: Readonly<Record<string, commonV1.ColumnType>> = {}): commonV1.DataProfile {
  return commonV1.DataProfile.fromPartial({
    rowCount: profile.rows,
    columns: profile.features.map((f) => {
      if (f.type === 'numeric') {
        return {
          name: f.name,
          type: columnTypes[f.name] ?? ColumnType.COLUMN_TYPE_DOUBLE,
          count: f.count,
          nullCount: f.missing,
          numeric: {
            min: f.min,
            max: f.max,
            mean: f.mean,
            std: f.count > 1 ? f.std * Math.sqrt(f.count / (f.count - 1)) : 0,
            quantiles: CONTRACT_QUANTILES.map((p) => histogramQuantile(f.histogram.edges, f.histogram.counts, p)),
            histogramEdges: [...f.histogram.edges],
            histogramCounts: [...f.histogram.counts],
          },
        };
      }
      return {
        name: f.name,
        type: columnTypes[f.name] ?? ColumnType.COLUMN_TYPE_STRING,
        count: f.count,
        nullCount: f.missing,
        categorical: categoricalSummary(new Map(Object.entries(f.frequencies))),
      };
    }),
  });
}

/** The contract's profile of a window's summaries: the `current_profile` of a drift report. */
export function windowProfile(
  windows: ReadonlyMap<string, FeatureWindow>,
  rows: number,
  columnTypes: Readonly<Record<string, commonV1.ColumnType>>,
): commonV1.DataProfile {
  const columns: commonV1.ColumnProfile[] = [];
  for (const [name, w] of windows) {
    if (w.type === 'categorical') {
      columns.push(
        commonV1.ColumnProfile.fromPartial({
          name,
          type: columnTypes[name] ?? ColumnType.COLUMN_TYPE_STRING,
          count: w.count,
          nullCount: w.missing,
          categorical: categoricalSummary(w.frequencies),
        }),
      );
      continue;
    }
    const { edges, counts } = windowHistogram(w.edges, w.counts, w.min, w.max);
    columns.push(
      commonV1.ColumnProfile.fromPartial({
        name,
        type: columnTypes[name] ?? ColumnType.COLUMN_TYPE_DOUBLE,
        count: w.count,
        nullCount: w.missing,
        numeric:
          w.count > 0
            ? {
                min: w.min,
                max: w.max,
                mean: w.mean,
                std: w.count > 1 ? w.std * Math.sqrt(w.count / (w.count - 1)) : 0,
                quantiles: CONTRACT_QUANTILES.map((p) => w.quantile(p)),
                histogramEdges: edges,
                histogramCounts: counts,
              }
            : undefined,
      }),
    );
  }
  return commonV1.DataProfile.fromPartial({ rowCount: rows, columns });
}

/** A window's bins as a contract histogram: empty underflow/overflow bins are dropped. */
function windowHistogram(edges: Float64Array, counts: Float64Array, min: number, max: number): { edges: number[]; counts: number[] } {
  const outEdges = [...edges];
  const outCounts = Array.from(counts.subarray(1, counts.length - 1));
  if (counts[0] > 0) {
    outEdges.unshift(min);
    outCounts.unshift(counts[0]);
  }
  if (counts[counts.length - 1] > 0) {
    outEdges.push(max);
    outCounts.push(counts[counts.length - 1]);
  }
  return { edges: outEdges, counts: outCounts };
}

function categoricalSummary(frequencies: ReadonlyMap<string, number>): commonV1.CategoricalSummary {
  const sorted = [...frequencies.entries()]
    .filter(([value]) => value !== OTHER_CATEGORY)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const top = sorted.slice(0, MAX_TOP_VALUES);
  const other = sorted.slice(MAX_TOP_VALUES).reduce((sum, [, c]) => sum + c, 0) + (frequencies.get(OTHER_CATEGORY) ?? 0);
  return { distinctCount: frequencies.size, topValues: top.map(([value, count]) => ({ value, count })), otherCount: other };
}

/** Quantile by linear interpolation inside the histogram bin holding rank p·n. */
export function histogramQuantile(edges: readonly number[], counts: readonly number[], p: number): number {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) return NaN;
  const target = p * n;
  let cum = 0;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b];
    if (c > 0 && cum + c >= target) return edges[b] + ((edges[b + 1] - edges[b]) * (target - cum)) / c;
    cum += c;
  }
  return edges[edges.length - 1];
}
