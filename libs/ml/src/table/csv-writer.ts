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
  const writers = table.columns.map((c): FieldWriter => {
    if (c.type === 'categorical') {
      const quoted = c.dictionary.map((v) => quote(v, delimiter));
      return (from, to, out) => {
        for (let i = from; i < to; i++) out[i - from] = c.codes[i] === MISSING_CODE ? '' : quoted[c.codes[i]];
      };
    }
    return numberFields(c.values, c.name);
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

export interface CsvColumnsOptions extends CsvWriteOptions {
  /** Whether the text starts with the header line; default true. Without it, a part of a table's text. */
  readonly withHeader?: boolean;
  /** Rows of the table before these, so an error names a row of the whole table; default 0. */
  readonly rowOffset?: number;
}

/**
 * Columns of equal length as CSV text, the same text {@link formatCsv} writes for the same rows,
 * without an array per row: for data that is columnar already (a training set built feature by
 * feature). A table's text may be written in parts of its rows (`withHeader` on the first only)
 * and joined.
 */
export function formatCsvColumns(header: readonly string[], columns: readonly CsvColumn[], options: CsvColumnsOptions = {}): string {
  if (columns.length !== header.length) throw new RangeError(`${columns.length} columns, but the header has ${header.length}`);
  const nRows = columns.length ? columns[0].length : 0;
  const { delimiter } = resolve(options);
  const offset = options.rowOffset ?? 0;
  const writers = columns.map((column, j): FieldWriter => {
    if (column.length !== nRows)
      throw new RangeError(`column "${header[j]}" has ${column.length} rows, but column "${header[0]}" has ${nRows}`);
    if (column instanceof Float64Array) return numberFields(column, header[j], offset);
    return (from, to, out) => {
      for (let i = from; i < to; i++) out[i - from] = field(column[i], delimiter, offset + i + 1, header[j]);
    };
  });
  return writeColumns(options.withHeader === false ? null : header, writers, nRows, options);
}

/** Writes the fields of rows [from, to) of one column into `out` from index 0. */
type FieldWriter = (from: number, to: number, out: string[]) => void;

/** A column of numbers as fields: a tight loop, since most of a training set's fields are numbers. */
function numberFields(values: ArrayLike<number>, column: string, rowOffset = 0): FieldWriter {
  return (from, to, out) => {
    for (let i = from; i < to; i++) {
      const v = values[i];
      if (v !== v) out[i - from] = '';
      else if (v === Infinity || v === -Infinity)
        throw new RangeError(`row ${rowOffset + i + 1}, column "${column}": ${v} cannot be written to CSV`);
      else out[i - from] = String(v);
    }
  };
}

// Rows written column by column at a time: tight loops per column, while the fields held at
// once stay few whatever the table's size.
const BLOCK_ROWS = 2048;

/** The header line (none when null) and the rows' lines, each ended. */
function writeColumns(header: readonly string[] | null, writers: readonly FieldWriter[], nRows: number, options: CsvWriteOptions): string {
  const { delimiter, lineEnding } = resolve(options);
  const first = header === null ? 0 : 1;
  const lines = new Array<string>(nRows + first);
  if (header !== null)
    lines[0] = record(
      header.map((h) => quote(h, delimiter)),
      delimiter,
    );
  const blocks = writers.map(() => new Array<string>(BLOCK_ROWS));
  const width = writers.length;
  const cells = new Array<string>(width);
  for (let from = 0; from < nRows; from += BLOCK_ROWS) {
    const to = Math.min(nRows, from + BLOCK_ROWS);
    for (let j = 0; j < width; j++) writers[j](from, to, blocks[j]);
    for (let i = 0; i < to - from; i++) {
      for (let j = 0; j < width; j++) cells[j] = blocks[j][i];
      lines[from + i + first] = record(cells, delimiter);
    }
  }
  return lines.length === 0 ? '' : lines.join(lineEnding) + lineEnding;
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
