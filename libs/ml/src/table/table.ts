/** Column types of a {@link Table}. */
export type ColumnType = 'numeric' | 'categorical';

/** A numeric column; a missing value is NaN. */
export interface NumericColumn {
  readonly name: string;
  readonly type: 'numeric';
  readonly values: Float64Array;
}

/** A dictionary-encoded categorical column; `codes[i]` indexes `dictionary`, -1 is missing. */
export interface CategoricalColumn {
  readonly name: string;
  readonly type: 'categorical';
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

export type Column = NumericColumn | CategoricalColumn;

/** A columnar table: every column has `nRows` entries. */
export interface Table {
  readonly nRows: number;
  readonly columns: readonly Column[];
}

/** Explicit column types by name; columns not named are inferred. */
export type Schema = Readonly<Record<string, ColumnType>>;

export const MISSING_CODE = -1;

/**
 * A fresh array of the non-missing (non-NaN) values of a numeric column, in order. A counted
 * copy by index: TypedArray#filter calls back per element and is an order of magnitude slower.
 */
export function presentValues(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) n++;
  if (n === values.length) return values.slice();
  const present = new Float64Array(n);
  for (let i = 0, k = 0; i < values.length; i++) if (values[i] === values[i]) present[k++] = values[i];
  return present;
}

export function numericColumn(name: string, values: Float64Array | readonly number[]): NumericColumn {
  return { name, type: 'numeric', values: values instanceof Float64Array ? values : Float64Array.from(values) };
}

/** Builds a categorical column from strings; `null`/`undefined` are missing. The dictionary keeps first-seen order. */
export function categoricalColumn(name: string, values: readonly (string | null | undefined)[]): CategoricalColumn {
  const index = new Map<string, number>();
  const dictionary: string[] = [];
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      codes[i] = MISSING_CODE;
      continue;
    }
    let code = index.get(v);
    if (code === undefined) {
      code = dictionary.length;
      index.set(v, code);
      dictionary.push(v);
    }
    codes[i] = code;
  }
  return { name, type: 'categorical', codes, dictionary };
}

/** Assembles a table, checking that names are unique and lengths agree. */
export function makeTable(columns: readonly Column[]): Table {
  const seen = new Set<string>();
  let nRows = -1;
  for (const c of columns) {
    if (seen.has(c.name)) throw new Error(`duplicate column "${c.name}"`);
    seen.add(c.name);
    const len = c.type === 'numeric' ? c.values.length : c.codes.length;
    if (nRows === -1) nRows = len;
    else if (len !== nRows) throw new Error(`column "${c.name}" has ${len} rows, expected ${nRows}`);
    if (c.type === 'categorical') {
      for (let i = 0; i < c.codes.length; i++) {
        const code = c.codes[i];
        if (code < MISSING_CODE || code >= c.dictionary.length)
          throw new Error(`column "${c.name}": code ${code} in row ${i + 1} is outside its dictionary`);
      }
    }
  }
  return { nRows: Math.max(nRows, 0), columns };
}

export function getColumn(table: Table, name: string): Column {
  const col = table.columns.find((c) => c.name === name);
  if (!col) throw new Error(`column "${name}" not found (columns: ${table.columns.map((c) => c.name).join(', ')})`);
  return col;
}

export function hasColumn(table: Table, name: string): boolean {
  return table.columns.some((c) => c.name === name);
}

/** The rows at `indices`, in that order, as a new table (dictionaries are shared). */
export function takeRows(table: Table, indices: Int32Array): Table {
  const n = indices.length;
  const columns = table.columns.map((c): Column => {
    if (c.type === 'numeric') {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = c.values[indices[i]];
      return { name: c.name, type: 'numeric', values: out };
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = c.codes[indices[i]];
    return { name: c.name, type: 'categorical', codes: out, dictionary: c.dictionary };
  });
  return { nRows: n, columns };
}

/** The table without the named columns. */
export function dropColumns(table: Table, names: readonly string[]): Table {
  return { nRows: table.nRows, columns: table.columns.filter((c) => !names.includes(c.name)) };
}

/** The value of one cell as a JS value (`null` when missing); for display and tests, not hot loops. */
export function cellValue(col: Column, row: number): number | string | null {
  if (col.type === 'numeric') {
    const v = col.values[row];
    return Number.isNaN(v) ? null : v;
  }
  const code = col.codes[row];
  return code === MISSING_CODE ? null : col.dictionary[code];
}
