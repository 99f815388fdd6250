import { type Table, MISSING_CODE } from './table';

/** A value to write: numbers in their shortest round-trip form; `null`, `undefined` and NaN are missing (an empty field). */
export type CsvCell = string | number | null | undefined;

export interface CsvWriteOptions {
  /** Field separator, one character; default `,`. */
  readonly delimiter?: string;
  /** Record terminator; default `\n` (what pandas writes — `parseCsv` reads either). */
  readonly lineEnding?: '\n' | '\r\n';
}

/**
 * Writes a header and rows as CSV text that {@link parseCsv} reads back to the same values
 * (RFC 4180 quoting: a field holding the delimiter, a quote, CR or LF is quoted, its quotes
 * doubled). Every row must have as many cells as the header. A string that `parseCsv` takes
 * for missing (`NA`, `null`, …) reads back as missing whether quoted or not.
 */
export function formatCsv(header: readonly string[], rows: Iterable<readonly CsvCell[]>, options: CsvWriteOptions = {}): string {
  const { delimiter, lineEnding } = resolve(options);
  const lines = [
    record(
      header.map((h) => quote(h, delimiter)),
      delimiter,
    ),
  ];
  let r = 0;
  for (const row of rows) {
    r++;
    if (row.length !== header.length) throw new RangeError(`row ${r} has ${row.length} cells, but the header has ${header.length}`);
    lines.push(
      record(
        row.map((cell, j) => field(cell, delimiter, r, header[j])),
        delimiter,
      ),
    );
  }
  return lines.join(lineEnding) + lineEnding;
}

/** A columnar table as CSV text; categories are quoted once per dictionary entry, not per row. */
export function tableToCsv(table: Table, options: CsvWriteOptions = {}): string {
  const { delimiter } = resolve(options);
  const writers = table.columns.map((c): ((row: number) => string) => {
    if (c.type === 'categorical') {
      const quoted = c.dictionary.map((v) => quote(v, delimiter));
      return (i) => (c.codes[i] === MISSING_CODE ? '' : quoted[c.codes[i]]);
    }
    return (i) => field(c.values[i], delimiter, i + 1, c.name);
  });
  return writeColumns(
    table.columns.map((c) => c.name),
    writers,
    table.nRows,
    options,
  );
}

/** A column for {@link formatCsvColumns}: numbers (NaN is missing), or cells as {@link formatCsv} takes them. */
export type CsvColumn = Float64Array | readonly CsvCell[];

/**
 * Columns of equal length as CSV text, the same text {@link formatCsv} writes for the same rows,
 * without an array per row: for data that is columnar already (a training set built feature by feature).
 */
export function formatCsvColumns(header: readonly string[], columns: readonly CsvColumn[], options: CsvWriteOptions = {}): string {
  if (columns.length !== header.length) throw new RangeError(`${columns.length} columns, but the header has ${header.length}`);
  const nRows = columns.length ? columns[0].length : 0;
  const { delimiter } = resolve(options);
  const writers = columns.map((column, j): ((row: number) => string) => {
    if (column.length !== nRows)
      throw new RangeError(`column "${header[j]}" has ${column.length} rows, but column "${header[0]}" has ${nRows}`);
    return (i) => field(column[i], delimiter, i + 1, header[j]);
  });
  return writeColumns(header, writers, nRows, options);
}

function writeColumns(
  header: readonly string[],
  writers: ReadonlyArray<(row: number) => string>,
  nRows: number,
  options: CsvWriteOptions,
): string {
  const { delimiter, lineEnding } = resolve(options);
  const lines = [
    record(
      header.map((h) => quote(h, delimiter)),
      delimiter,
    ),
  ];
  const cells: string[] = new Array(writers.length);
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < writers.length; j++) cells[j] = writers[j](i);
    lines.push(record(cells, delimiter));
  }
  return lines.join(lineEnding) + lineEnding;
}

function resolve(options: CsvWriteOptions): Required<CsvWriteOptions> {
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r')
    throw new Error(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
  return { delimiter, lineEnding: options.lineEnding ?? '\n' };
}

/**
 * One CSV record from fields already quoted ({@link quote}). A record of one empty field would
 * be a blank line, which readers skip; `""` keeps the row.
 */
export function record(fields: readonly string[], delimiter = ','): string {
  return fields.length === 1 && fields[0] === '' ? '""' : fields.join(delimiter);
}

function field(cell: CsvCell, delimiter: string, row: number, column: string): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') return quote(cell, delimiter);
  if (Number.isNaN(cell)) return '';
  // parseCsv (like the ISO number grammar most readers use) takes finite numbers only.
  if (!Number.isFinite(cell)) throw new RangeError(`row ${row}, column "${column}": ${cell} cannot be written to CSV`);
  return String(cell);
}

const NEEDS_QUOTES_WITH_COMMA = /[",\n\r]/;

/** A text field as CSV writes it: quoted, its quotes doubled, when it holds the delimiter, a quote, CR or LF. */
export function quote(value: string, delimiter = ','): string {
  let needs = false;
  if (delimiter === ',') {
    needs = NEEDS_QUOTES_WITH_COMMA.test(value);
  } else {
    for (let k = 0; k < value.length && !needs; k++) {
      const c = value[k];
      needs = c === delimiter || c === '"' || c === '\n' || c === '\r';
    }
  }
  return needs ? `"${value.replace(/"/g, '""')}"` : value;
}
