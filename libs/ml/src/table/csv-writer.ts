import { CsvBytes, quote } from './csv-bytes';
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

/** A columnar table as CSV text. */
export function tableToCsv(table: Table, options: CsvWriteOptions = {}): string {
  const { delimiter, lineEnding } = resolve(options);
  const out = new CsvBytes(table.nRows * table.columns.length * 8 + 256, delimiter, lineEnding);
  for (const column of table.columns) out.text(column.name);
  out.endRecord();
  for (let i = 0; i < table.nRows; i++) {
    for (const column of table.columns) {
      if (column.type === 'categorical') {
        const code = column.codes[i];
        if (code === MISSING_CODE) out.empty();
        else out.text(column.dictionary[code]);
      } else {
        out.number(finiteOrNaN(column.values[i], i + 1, column.name));
      }
    }
    out.endRecord();
  }
  return out.finish().toString('utf8');
}

/** Instants in epoch milliseconds (NaN is missing), written as `Date.prototype.toISOString` writes them. */
export interface CsvInstants {
  readonly instants: Float64Array;
}

/**
 * Text as codes into a dictionary: row i holds `dictionary[codes[i]]`, missing where the code is
 * -1. A column of few distinct strings crosses to another thread as integers, and each entry is
 * encoded once, not once a row.
 */
export interface CsvCodes {
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

/** A column for {@link writeCsvColumns}: numbers (NaN is missing), instants, coded text, or cells as {@link formatCsv} takes them. */
export type CsvColumn = Float64Array | CsvInstants | CsvCodes | readonly CsvCell[];

/** A column's number of rows. */
export function csvColumnLength(column: CsvColumn): number {
  if ('instants' in column) return column.instants.length;
  return 'codes' in column ? column.codes.length : column.length;
}

/** Rows [from, to) of a column. */
export function sliceCsvColumn(column: CsvColumn, from: number, to: number): CsvColumn {
  if ('instants' in column) return { instants: column.instants.slice(from, to) };
  return 'codes' in column ? { codes: column.codes.slice(from, to), dictionary: column.dictionary } : column.slice(from, to);
}

export interface CsvColumnsOptions extends CsvWriteOptions {
  /** Whether the text starts with the header line; default true. Without it, a part of a table's text. */
  readonly withHeader?: boolean;
  /** Rows of the table before these, so an error names a row of the whole table; default 0. */
  readonly rowOffset?: number;
}

/**
 * Columns of equal length as CSV in UTF-8, the bytes of the text {@link formatCsv} writes for
 * the same rows, with no string per field or row: for data that is columnar already (a
 * training set built feature by feature). A table may be written in parts of its rows
 * (`withHeader` on the first only) and the parts joined.
 */
export function writeCsvColumns(header: readonly string[], columns: readonly CsvColumn[], options: CsvColumnsOptions = {}): Buffer {
  if (columns.length !== header.length) throw new RangeError(`${columns.length} columns, but the header has ${header.length}`);
  const nRows = columns.length ? csvColumnLength(columns[0]) : 0;
  columns.forEach((column, j) => {
    if (csvColumnLength(column) !== nRows)
      throw new RangeError(`column "${header[j]}" has ${csvColumnLength(column)} rows, but column "${header[0]}" has ${nRows}`);
  });
  const { delimiter, lineEnding } = resolve(options);
  const offset = options.rowOffset ?? 0;
  // About 8 bytes a field: one growth at most for most tables.
  const out = new CsvBytes(nRows * header.length * 8 + 256, delimiter, lineEnding);
  if (options.withHeader !== false) {
    for (const name of header) out.text(name);
    out.endRecord();
  }
  // Each column's kind looked up once, not per cell; coded text encoded once per entry.
  const instants = columns.map((column) => ('instants' in column ? column.instants : null));
  const coded = columns.map((column) => ('codes' in column ? column.codes : null));
  const encoded = columns.map((column) => ('codes' in column ? column.dictionary.map((value) => encodeField(value, delimiter)) : []));
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < columns.length; j++) {
      const times = instants[j];
      if (times !== null) {
        out.instant(times[i]);
        continue;
      }
      const codes = coded[j];
      if (codes !== null) {
        if (codes[i] === -1) out.empty();
        else out.encoded(encoded[j][codes[i]]);
        continue;
      }
      const cell = (columns[j] as Float64Array | readonly CsvCell[])[i];
      if (typeof cell === 'number') out.number(finiteOrNaN(cell, offset + i + 1, header[j]));
      else if (typeof cell === 'string') out.text(cell);
      else out.empty();
    }
    out.endRecord();
  }
  return out.finish();
}

/** A text field's bytes as {@link CsvBytes.text} writes them. */
function encodeField(value: string, delimiter: string): Buffer {
  return Buffer.from(quote(value, delimiter), 'utf8');
}

/** A number CSV can hold (NaN is written missing); parseCsv, like most readers, takes finite numbers only. */
function finiteOrNaN(v: number, row: number, column: string): number {
  if (v === Infinity || v === -Infinity) throw new RangeError(`row ${row}, column "${column}": ${v} cannot be written to CSV`);
  return v;
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
function record(fields: readonly string[], delimiter = ','): string {
  return fields.length === 1 && fields[0] === '' ? '""' : fields.join(delimiter);
}

function field(cell: CsvCell, delimiter: string, row: number, column: string): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') return quote(cell, delimiter);
  const v = finiteOrNaN(cell, row, column);
  return v === v ? String(v) : '';
}
