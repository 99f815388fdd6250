import { createHash } from 'node:crypto';
import { type commonV1 } from '@flywheel/contracts';
import { buildProfile, CsvBytes, type NumericFeatureProfile } from '@flywheel/ml';
import { ColumnType, type ColumnRule, type Contract } from './dataset-contract';
import { canonicalInstantMillis, type Record_ } from './record-validation';

/** Quantiles the contracts' NumericSummary carries: 0, 0.05, …, 1. */
const SUMMARY_QUANTILES = Array.from({ length: 21 }, (_, i) => Math.round(i * 5) / 100);
const MAX_TOP_VALUES = 100;
export const VERSION_FILE = 'data.csv';
export const VERSION_CONTENT_TYPE = 'text/csv';

export interface VersionFile {
  /** The version's records as CSV, columns in contract order. */
  readonly body: Buffer;
  /** Of the body, hashed where it was written (the compute thread), for the object store to use as it is. */
  readonly sha256: string;
  readonly profile: commonV1.DataProfile;
  /** [earliest, latest + 1 ms) of the event-time column; null without one (or with no values). */
  readonly eventTimeRange: { start: Date; end: Date } | null;
}

/**
 * Builds what a version stores: the CSV (Parquet would need a native writer that is not
 * available offline; CSV is read by pandas, DuckDB and Spark alike) and its profile, in one pass
 * over the records that writes each line and gathers each column.
 */
export function buildVersionFile(contract: Contract, rows: readonly Record_[], expectedBytes = rows.length * 128): VersionFile {
  const names = contract.columns.map((c) => c.name);
  const gatherers = contract.columns.map((c) => gathererOf(c, rows.length));
  const csv = new CsvBytes(expectedBytes);
  for (const name of names) csv.text(name);
  csv.endRecord();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (let j = 0; j < names.length; j++) {
      const value = row[names[j]!];
      gatherers[j]!.add(i, value);
      if (value === null || value === undefined) csv.empty();
      else if (typeof value === 'string') csv.text(value);
      else if (typeof value === 'number') csv.number(value);
      else csv.text(value ? 'true' : 'false');
    }
    csv.endRecord();
  }
  const profile: commonV1.DataProfile = {
    rowCount: rows.length,
    columns: contract.columns.map((column, j) => gatherers[j]!.profile(column, rows.length)),
  };
  let eventTimeRange: VersionFile['eventTimeRange'] = null;
  const eventTime = contract.eventTimeColumn ? gatherers[names.indexOf(contract.eventTimeColumn)] : undefined;
  if (eventTime instanceof NumericGatherer) {
    const { min, max } = eventTime.range();
    if (Number.isFinite(min)) eventTimeRange = { start: new Date(min), end: new Date(max + 1) };
  }
  const body = csv.finish();
  return { body, sha256: createHash('sha256').update(body).digest('hex'), profile, eventTimeRange };
}

/** Collects one column's values while the lines are written, then profiles them. */
interface ColumnGatherer {
  add(row: number, value: Record_[string] | undefined): void;
  profile(column: ColumnRule, rowCount: number): commonV1.ColumnProfile;
}

function gathererOf(column: ColumnRule, rowCount: number): ColumnGatherer {
  switch (column.type) {
    case ColumnType.COLUMN_TYPE_DOUBLE:
    case ColumnType.COLUMN_TYPE_INTEGER:
      return new NumericGatherer(rowCount, false);
    case ColumnType.COLUMN_TYPE_TIMESTAMP:
      return new NumericGatherer(rowCount, true);
    default:
      return new CategoricalGatherer();
  }
}

/** Numbers, or instants as epoch milliseconds; missing values are NaN. */
class NumericGatherer implements ColumnGatherer {
  private readonly values: Float64Array;

  constructor(
    rowCount: number,
    private readonly instants: boolean,
  ) {
    this.values = new Float64Array(rowCount);
  }

  add(row: number, value: Record_[string] | undefined): void {
    this.values[row] =
      typeof value === 'number'
        ? value
        : this.instants && typeof value === 'string'
          ? (canonicalInstantMillis(value) ?? Date.parse(value))
          : NaN;
  }

  range(): { min: number; max: number } {
    let min = Infinity;
    let max = -Infinity;
    for (const v of this.values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { min, max };
  }

  profile(column: ColumnRule, rowCount: number): commonV1.ColumnProfile {
    const base = { name: column.name, type: column.type };
    if (this.values.every(Number.isNaN)) return { ...base, count: 0, nullCount: rowCount };
    const [feature] = buildProfile([{ name: column.name, type: 'numeric', values: this.values }], { quantiles: SUMMARY_QUANTILES })
      .features as [NumericFeatureProfile];
    return { ...base, count: feature.count, nullCount: feature.missing, numeric: numericSummary(feature) };
  }
}

/** Texts and booleans (as `true` / `false`), counted per value. */
class CategoricalGatherer implements ColumnGatherer {
  private readonly counts = new Map<string, number>();
  private count = 0;

  add(_row: number, value: Record_[string] | undefined): void {
    if (value === null || value === undefined) return;
    const key = typeof value === 'string' ? value : String(value);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.count++;
  }

  profile(column: ColumnRule, rowCount: number): commonV1.ColumnProfile {
    const base = { name: column.name, type: column.type };
    if (this.count === 0) return { ...base, count: 0, nullCount: rowCount };
    const sorted = [...this.counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    const top = sorted.slice(0, MAX_TOP_VALUES);
    const shown = top.reduce((sum, [, n]) => sum + n, 0);
    return {
      ...base,
      count: this.count,
      nullCount: rowCount - this.count,
      categorical: {
        distinctCount: sorted.length,
        topValues: top.map(([value, n]) => ({ value, count: n })),
        otherCount: this.count - shown,
      },
    };
  }
}

/** A version built from staged batches. */
export interface StagedVersion {
  readonly file: VersionFile;
  readonly rowCount: number;
}

export interface StagedSlice {
  /** Staged batches, oldest first, each a JSON array of records (as text, or its UTF-8 bytes). */
  readonly staged: ReadonlyArray<string | Uint8Array>;
  /** Records of the first batch that belong to an earlier version. */
  readonly skip: number;
  readonly limit: number;
}

/** A version from staged batches: `limit` records from the `skip`-th record of the first. */
export function buildFromStaged(contract: Contract, { staged, skip, limit }: StagedSlice): StagedVersion {
  const rows: Record_[] = [];
  let stagedBytes = 0;
  staged.forEach((text, k) => {
    stagedBytes += text.length;
    const records = JSON.parse(
      typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8'),
    ) as Record_[];
    const from = k === 0 ? skip : 0;
    const to = Math.min(records.length, from + limit - rows.length);
    for (let i = from; i < to; i++) rows.push(records[i]!);
  });
  // A record's CSV line is shorter than its JSON, which names every field.
  return { file: buildVersionFile(contract, rows, stagedBytes), rowCount: rows.length };
}

/**
 * A staged batch's text cut after its first `count` records: both parts are staged texts
 * again. Found by scanning for the separators between top-level elements (strings skipped, with
 * their escapes), without parsing the records.
 */
export function splitStaged(text: string, count: number): { head: string; rest: string } {
  if (count <= 0) return { head: '[]', rest: text };
  let depth = 0;
  let inString = false;
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the character after it.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1 && ++seen === count) return { head: `${text.slice(0, i)}]`, rest: `[${text.slice(i + 1)}` };
  }
  return { head: text, rest: '[]' };
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
