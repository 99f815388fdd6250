import { type Column, type ColumnType, type Schema, type Table, MISSING_CODE, makeTable } from './table';

/** A CSV value or structure error; `row` counts data rows from 1 (the header is not a row), `line` is the 1-based line in the text. */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly row: number,
    readonly line: number,
    readonly column?: string,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

export interface CsvOptions {
  /** Field separator, one character; default `,`. */
  readonly delimiter?: string;
  /** Types forced by column name; other columns are inferred (numeric when every present value is a number). */
  readonly schema?: Schema;
  /** Fields read as missing; default: empty, NA, N/A, NaN, nan, null, NULL (as pandas' defaults do for these spellings). */
  readonly missing?: readonly string[];
  /** Only these columns go into the table (pandas' `usecols`); the others are checked for structure only. Default: all. */
  readonly columns?: readonly string[];
}

const DEFAULT_MISSING = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'];
// Decimal numbers as written by spreadsheets, pandas and numpy; no thousands separators, no hex.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses CSV text (RFC 4180: quoted fields may contain delimiters, newlines and doubled quotes)
 * with a header row into a columnar table. Accepts a string or UTF-8 bytes (a leading BOM is
 * dropped); CRLF, LF and CR line ends; blank lines are skipped.
 */
export function parseCsv(input: string | Uint8Array, options: CsvOptions = {}): Table {
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r')
    throw new Error(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
  const missing = new Set(options.missing ?? DEFAULT_MISSING);
  const wanted = options.columns && new Set(options.columns);
  const { header, kept, fields, lines } = tokenize(text, delimiter.charCodeAt(0), wanted);

  const names = new Set<string>();
  header.forEach((name, j) => {
    if (name.trim() === '') throw new CsvError(`header: column ${j + 1} has an empty name`, 0, 1);
    if (names.has(name)) throw new CsvError(`header: duplicate column "${name}"`, 0, 1, name);
    names.add(name);
  });
  const schema = options.schema ?? {};
  for (const name of Object.keys(schema)) {
    if (!names.has(name)) throw new CsvError(`schema names column "${name}", which is not in the header`, 0, 1, name);
  }

  for (const name of wanted ?? []) {
    if (!names.has(name)) throw new CsvError(`column "${name}" was asked for, but is not in the header`, 0, 1, name);
  }

  // `fields` holds the kept columns only, row by row.
  const nCols = kept.length;
  const nRows = lines.length;
  const columns: Column[] = [];
  for (let j = 0; j < nCols; j++) {
    const name = header[kept[j]];
    const forced: ColumnType | undefined = schema[name];
    const type = forced ?? inferType(fields, j, nCols, nRows, missing);
    if (type === 'numeric') {
      const values = new Float64Array(nRows);
      for (let i = 0; i < nRows; i++) {
        const raw = fields[i * nCols + j];
        if (missing.has(raw)) {
          values[i] = Number.NaN;
          continue;
        }
        const trimmed = raw.trim();
        const v = NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
        if (!Number.isFinite(v)) {
          const what = Number.isNaN(v) ? 'is not a number' : 'is not a finite number';
          throw new CsvError(`row ${i + 1} (line ${lines[i]}), column "${name}": ${JSON.stringify(raw)} ${what}`, i + 1, lines[i], name);
        }
        values[i] = v;
      }
      columns.push({ name, type: 'numeric', values });
    } else {
      const codes = new Int32Array(nRows);
      const index = new Map<string, number>();
      const dictionary: string[] = [];
      for (let i = 0; i < nRows; i++) {
        const raw = fields[i * nCols + j];
        if (missing.has(raw)) {
          codes[i] = MISSING_CODE;
          continue;
        }
        let code = index.get(raw);
        if (code === undefined) {
          code = dictionary.length;
          index.set(raw, code);
          dictionary.push(raw);
        }
        codes[i] = code;
      }
      columns.push({ name, type: 'categorical', codes, dictionary });
    }
  }
  return makeTable(columns);
}

function inferType(fields: string[], j: number, nCols: number, nRows: number, missing: Set<string>): ColumnType {
  for (let i = 0; i < nRows; i++) {
    const raw = fields[i * nCols + j];
    if (missing.has(raw)) continue;
    const trimmed = raw.trim();
    if (!NUMBER.test(trimmed) || !Number.isFinite(Number(trimmed))) return 'categorical';
  }
  return 'numeric';
}

interface Tokens {
  header: string[];
  /** Positions in the header of the columns whose fields are kept. */
  kept: number[];
  /** Row-major data fields, `kept.length` per row. */
  fields: string[];
  /** 1-based line on which each data row starts. */
  lines: number[];
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** `wanted`: the columns whose fields are kept; the others are only scanned, for the structure. */
function tokenize(text: string, delim: number, wanted?: ReadonlySet<string>): Tokens {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let header: string[] | null = null;
  const fields: string[] = [];
  const lines: number[] = [];
  const record: string[] = [];
  // Which fields to keep, by position; every one until the header says which are wanted.
  let keep: boolean[] | null = null;
  let kept: number[] = [];

  while (pos < n) {
    const recordLine = line;
    record.length = 0;
    // A blank line holds no record.
    const c0 = text.charCodeAt(pos);
    if (c0 === LF || c0 === CR) {
      pos += c0 === CR && text.charCodeAt(pos + 1) === LF ? 2 : 1;
      line++;
      continue;
    }
    for (;;) {
      let value: string;
      if (text.charCodeAt(pos) === QUOTE) {
        const startLine = line;
        let parts = '';
        let segment = pos + 1;
        let p = pos + 1;
        for (;;) {
          if (p >= n)
            throw new CsvError(
              `${where(header, lines.length, recordLine)}: quoted field opened on line ${startLine} is never closed`,
              header ? lines.length + 1 : 0,
              startLine,
            );
          const c = text.charCodeAt(p);
          if (c === QUOTE) {
            if (text.charCodeAt(p + 1) === QUOTE) {
              parts += text.slice(segment, p + 1);
              p += 2;
              segment = p;
              continue;
            }
            break;
          }
          if (c === LF || (c === CR && text.charCodeAt(p + 1) !== LF)) line++;
          p++;
        }
        value = parts + text.slice(segment, p);
        pos = p + 1;
        const after = pos < n ? text.charCodeAt(pos) : LF;
        if (after !== delim && after !== LF && after !== CR) {
          throw new CsvError(
            `${where(header, lines.length, recordLine)}, field ${record.length + 1}: unexpected character after a closing quote`,
            header ? lines.length + 1 : 0,
            line,
          );
        }
      } else {
        let p = pos;
        while (p < n) {
          const c = text.charCodeAt(p);
          if (c === delim || c === LF || c === CR) break;
          if (c === QUOTE)
            throw new CsvError(
              `${where(header, lines.length, recordLine)}, field ${record.length + 1}: a quote inside an unquoted field (quote the whole field and double the quote)`,
              header ? lines.length + 1 : 0,
              line,
            );
          p++;
        }
        value = keep === null || keep[record.length] ? text.slice(pos, p) : '';
        pos = p;
      }
      record.push(value);
      if (pos >= n) break;
      const c = text.charCodeAt(pos);
      if (c === delim) {
        pos++;
        continue;
      }
      pos += c === CR && text.charCodeAt(pos + 1) === LF ? 2 : 1;
      line++;
      break;
    }
    if (header === null) {
      header = record.slice();
      if (wanted) keep = header.map((name) => wanted.has(name));
      kept = header.flatMap((_, j) => (keep === null || keep[j] ? [j] : []));
      continue;
    }
    if (record.length !== header.length) {
      throw new CsvError(
        `row ${lines.length + 1} (line ${recordLine}): ${record.length} fields, but the header has ${header.length}`,
        lines.length + 1,
        recordLine,
      );
    }
    if (keep === null) for (const v of record) fields.push(v);
    else for (const j of kept) fields.push(record[j]);
    lines.push(recordLine);
  }
  if (header === null) throw new CsvError('CSV has no header row', 0, 1);
  return { header, kept, fields, lines };
}

function where(header: string[] | null, rowsSoFar: number, line: number): string {
  return header === null ? `header (line ${line})` : `row ${rowsSoFar + 1} (line ${line})`;
}
