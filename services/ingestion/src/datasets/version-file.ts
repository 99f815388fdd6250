import { type commonV1 } from '@flywheel/contracts';
import { buildProfile, formatCsv, type CsvCell, type NumericFeatureProfile, type CategoricalFeatureProfile } from '@flywheel/ml';
import { ColumnType, type ColumnRule, type Contract } from './dataset-contract';
import { type Record_ } from './record-validation';

/** Quantiles the contracts' NumericSummary carries: 0, 0.05, …, 1. */
const SUMMARY_QUANTILES = Array.from({ length: 21 }, (_, i) => Math.round(i * 5) / 100);
const MAX_TOP_VALUES = 100;
export const VERSION_FILE = 'data.csv';
export const VERSION_CONTENT_TYPE = 'text/csv';

export interface VersionFile {
  /** The version's records as CSV, columns in contract order. */
  readonly body: Buffer;
  readonly profile: commonV1.DataProfile;
  /** [earliest, latest + 1 ms) of the event-time column; null without one (or with no values). */
  readonly eventTimeRange: { start: Date; end: Date } | null;
}

/**
 * Builds what a version stores: the CSV (Parquet would need a native writer that is not
 * available offline; CSV is read by pandas, DuckDB and Spark alike) and its profile.
 */
export function buildVersionFile(contract: Contract, rows: readonly Record_[]): VersionFile {
  const header = contract.columns.map((c) => c.name);
  const csv = formatCsv(
    header,
    rows.map((row) => contract.columns.map((c) => csvCell(row[c.name] ?? null))),
  );
  const profile: commonV1.DataProfile = { rowCount: rows.length, columns: contract.columns.map((c) => profileColumn(c, rows)) };
  let eventTimeRange: VersionFile['eventTimeRange'] = null;
  if (contract.eventTimeColumn) {
    let min = Infinity;
    let max = -Infinity;
    for (const row of rows) {
      const value = row[contract.eventTimeColumn];
      if (typeof value !== 'string') continue;
      const t = Date.parse(value);
      if (t < min) min = t;
      if (t > max) max = t;
    }
    if (Number.isFinite(min)) eventTimeRange = { start: new Date(min), end: new Date(max + 1) };
  }
  return { body: Buffer.from(csv, 'utf8'), profile, eventTimeRange };
}

function csvCell(value: Record_[string]): CsvCell {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

function profileColumn(column: ColumnRule, rows: readonly Record_[]): commonV1.ColumnProfile {
  const numeric =
    column.type === ColumnType.COLUMN_TYPE_DOUBLE ||
    column.type === ColumnType.COLUMN_TYPE_INTEGER ||
    column.type === ColumnType.COLUMN_TYPE_TIMESTAMP;
  const base = { name: column.name, type: column.type };
  if (numeric) {
    const values = new Float64Array(rows.length);
    let count = 0;
    rows.forEach((row, i) => {
      const v = row[column.name];
      values[i] = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
      if (!Number.isNaN(values[i])) count++;
    });
    if (count === 0) return { ...base, count: 0, nullCount: rows.length };
    const [feature] = buildProfile([{ name: column.name, type: 'numeric', values }], { quantiles: SUMMARY_QUANTILES }).features as [
      NumericFeatureProfile,
    ];
    return { ...base, count: feature.count, nullCount: feature.missing, numeric: numericSummary(feature) };
  }
  const values = rows.map((row) => {
    const v = row[column.name];
    return v === null || v === undefined ? null : String(v);
  });
  const count = values.filter((v) => v !== null).length;
  if (count === 0) return { ...base, count: 0, nullCount: rows.length };
  const [feature] = buildProfile([{ name: column.name, type: 'categorical', values }]).features as [CategoricalFeatureProfile];
  const sorted = Object.entries(feature.frequencies).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const top = sorted.slice(0, MAX_TOP_VALUES);
  const shown = top.reduce((sum, [, n]) => sum + n, 0);
  return {
    ...base,
    count: feature.count,
    nullCount: feature.missing,
    categorical: {
      distinctCount: sorted.length,
      topValues: top.map(([value, n]) => ({ value, count: n })),
      otherCount: feature.count - shown,
    },
  };
}

function numericSummary(feature: NumericFeatureProfile): commonV1.NumericSummary {
  const n = feature.count;
  // The contract's std is the sample one (ddof = 1); the ML profile keeps the population one.
  const std = n > 1 ? feature.std * Math.sqrt(n / (n - 1)) : 0;
  return {
    min: feature.min,
    max: feature.max,
    mean: feature.mean,
    std,
    quantiles: [...feature.quantiles.values],
    histogramEdges: [...feature.histogram.edges],
    histogramCounts: [...feature.histogram.counts],
  };
}
