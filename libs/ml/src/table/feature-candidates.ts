import { type Column, type Table, MISSING_CODE } from './table';

/** A column left out of the default features, and why. */
export interface ExcludedColumn {
  readonly name: string;
  readonly reason: string;
}

/** Fewer present values than this say nothing about a column being an identifier. */
const MIN_ROWS_TO_JUDGE = 20;
/** A text column with more distinct values than this share of its present ones names rows rather than describing them. */
const IDENTIFIER_DISTINCT_SHARE = 0.5;
/** Dates and date-times as RFC 3339, ISO 8601 and databases write them. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * The columns worth training on when none are named: every column but the label, leaving out
 * those that would let a model memorise rows instead of learning — identifiers (text, or whole
 * numbers, unique per row; text with more distinct values than half its rows) and timestamps —
 * each with the reason, for the caller to say.
 */
export function defaultFeatures(table: Table, label: string): { features: string[]; excluded: ExcludedColumn[] } {
  const features: string[] = [];
  const excluded: ExcludedColumn[] = [];
  for (const column of table.columns) {
    if (column.name === label) continue;
    const reason = exclusionReason(column);
    if (reason) excluded.push({ name: column.name, reason });
    else features.push(column.name);
  }
  return { features, excluded };
}

function exclusionReason(column: Column): string | null {
  if (column.type === 'numeric') {
    const present = column.values.filter((v) => !Number.isNaN(v));
    if (present.length < MIN_ROWS_TO_JUDGE || !present.every(Number.isInteger)) return null;
    return new Set(present).size === present.length ? 'whole numbers unique per row, like an identifier' : null;
  }
  const counts = new Map<number, number>();
  let present = 0;
  for (const code of column.codes) {
    if (code === MISSING_CODE) continue;
    present++;
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  if (present === 0) return null;
  const used = [...counts.keys()].map((code) => column.dictionary[code]!);
  if (used.every((value) => TIMESTAMP.test(value))) return 'timestamps';
  if (present < MIN_ROWS_TO_JUDGE) return null;
  if (counts.size === present) return 'text unique per row, like an identifier';
  if (counts.size > IDENTIFIER_DISTINCT_SHARE * present) return `${counts.size} distinct values in ${present} rows, like an identifier`;
  return null;
}
