import { type CsvCell, type CsvCodes, type CsvColumn } from '@flywheel/ml';
import { type StoredValue } from '../feature-views/feature-values';

/**
 * A feature's values for each row of the set (`matches`: the history record each row takes, -1
 * for none): numbers in a typed column when the feature's values are all numbers (NaN where the
 * row has none), text (booleans as `true`/`false`) coded by value, otherwise the stored values.
 */
export function featureColumn(matches: Int32Array, values: readonly StoredValue[]): Float64Array | CsvCodes | StoredValue[] {
  const numbers = new Float64Array(matches.length);
  for (let i = 0; i < matches.length; i++) {
    const value = matches[i] === -1 ? null : values[matches[i]];
    if (typeof value === 'number') numbers[i] = value;
    else if (value === null) numbers[i] = Number.NaN;
    else return codedText(matches, values) ?? Array.from(matches, (m) => (m === -1 ? null : values[m]));
  }
  return numbers;
}

/**
 * Most distinct values a coded column has, as a share of its rows: each CSV part is sent the
 * whole dictionary, so text of many distinct values (free text, identifiers) costs less sent as
 * it is, each part with its own rows' strings.
 */
export const MAX_CODED_DISTINCT_SHARE = 1 / 4;

/**
 * The rows' values as codes into their distinct values (-1: missing), the form both the CSV's
 * threads and the profile's take; null if some are numbers, or too many are distinct to gain by
 * coding.
 */
function codedText(matches: Int32Array, values: readonly StoredValue[]): CsvCodes | null {
  const maxDistinct = Math.max(16, matches.length * MAX_CODED_DISTINCT_SHARE);
  const codes = new Int32Array(matches.length);
  const codeOf = new Map<string, number>();
  const dictionary: string[] = [];
  for (let i = 0; i < matches.length; i++) {
    const value = matches[i] === -1 ? null : values[matches[i]];
    if (value === null) {
      codes[i] = -1;
      continue;
    }
    if (typeof value === 'number') return null;
    const text = typeof value === 'string' ? value : value ? 'true' : 'false';
    let code = codeOf.get(text);
    if (code === undefined) {
      if (dictionary.length >= maxDistinct) return null;
      code = dictionary.push(text) - 1;
      codeOf.set(text, code);
    }
    codes[i] = code;
  }
  return { codes, dictionary };
}

/** A column as CSV cells: booleans as `true`/`false`, the rest as they are. */
export function csvColumn(values: Float64Array | CsvCodes | readonly StoredValue[]): CsvColumn {
  if (values instanceof Float64Array || 'codes' in values || !values.some((v) => typeof v === 'boolean')) return values as CsvColumn;
  return values.map(csvCell);
}

function csvCell(value: StoredValue): CsvCell {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}
