import fc from 'fast-check';
import { parseCsv } from './csv';
import {
  type CsvCell,
  type CsvCodes,
  type CsvColumn,
  csvColumnLength,
  formatCsv,
  sliceCsvColumn,
  tableToCsv,
  writeCsvColumns,
} from './csv-writer';
import { type Table, categoricalColumn, cellValue, makeTable, numericColumn } from './table';

/** The columns' CSV as text, to compare with formatCsv's. */
const columnsText = (header: string[], columns: CsvColumn[], options?: Parameters<typeof writeCsvColumns>[2]) =>
  writeCsvColumns(header, columns, options).toString('utf8');

const rowsOf = (t: Table): (number | string | null)[][] => Array.from({ length: t.nRows }, (_, i) => t.columns.map((c) => cellValue(c, i)));

describe('formatCsv', () => {
  it('quotes fields holding the delimiter, quotes or line breaks, and doubles the quotes', () => {
    const text = formatCsv(
      ['name', 'note'],
      [
        ['Smith, J', 'said "hi"'],
        ['multi\nline', 'cr\rhere'],
        ['plain', ''],
      ],
    );
    expect(text).toBe('name,note\n"Smith, J","said ""hi"""\n"multi\nline","cr\rhere"\nplain,\n');
  });

  it('writes numbers in their shortest round-trip form and missing values as empty fields', () => {
    const numbers = [0.1, 1 / 3, -2.5e-300, 1e21, 5e-324, Number.MAX_VALUE, -0];
    const text = formatCsv(
      ['x', 'y'],
      numbers.map((x, i) => [x, i % 2 ? null : Number.NaN]),
    );
    const back = parseCsv(text);
    expect(rowsOf(back)).toEqual(numbers.map((x) => [x === 0 ? 0 : x, null]));
  });

  it('keeps an empty single-field row, which would otherwise be a blank line', () => {
    const text = formatCsv(['only'], [['a'], [null], ['']]);
    expect(text).toBe('only\na\n""\n""\n');
    expect(parseCsv(text).nRows).toBe(3);
  });

  it('honours another delimiter and CRLF line ends', () => {
    const text = formatCsv(['a', 'b'], [['x;y', 1]], { delimiter: ';', lineEnding: '\r\n' });
    expect(text).toBe('a;b\r\n"x;y";1\r\n');
    expect(rowsOf(parseCsv(text, { delimiter: ';' }))).toEqual([['x;y', 1]]);
    // A delimiter beyond ASCII is its UTF-8 bytes in the columnar writer too.
    expect(columnsText(['a', 'b'], [['x§y', 'z'], Float64Array.of(1, 2)], { delimiter: '§' })).toBe('a§b\n"x§y"§1\nz§2\n');
  });

  it('rejects what it cannot write faithfully, naming the place', () => {
    expect(() =>
      formatCsv(
        ['a', 'b'],
        [
          [1, 2],
          [1, Infinity],
        ],
      ),
    ).toThrow('row 2, column "b": Infinity cannot be written to CSV');
    expect(() => formatCsv(['a', 'b'], [[1]])).toThrow('row 1 has 1 cells, but the header has 2');
    expect(() => formatCsv(['a'], [], { delimiter: '"' })).toThrow('invalid CSV delimiter');
  });
});

describe('tableToCsv', () => {
  it('writes a columnar table that parseCsv reads back unchanged', () => {
    const t = makeTable([numericColumn('x', [1.5, Number.NaN, -3]), categoricalColumn('label, with comma', ['a "b"', null, 'c\nd'])]);
    const text = tableToCsv(t);
    expect(text).toBe('x,"label, with comma"\n1.5,"a ""b"""\n,\n-3,"c\nd"\n');
    expect(rowsOf(parseCsv(text))).toEqual(rowsOf(t));
  });

  it('round-trips any table of finite numbers and text through parseCsv', () => {
    const missing = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);
    // Text that parseCsv would read as a number or as missing changes type on the way back; keep it out.
    const text = fc
      .string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '1') })
      .filter((s) => !missing.has(s) && Number.isNaN(Number(s.trim())));
    const table = fc
      .integer({ min: 1, max: 12 })
      .chain((n) =>
        fc.tuple(
          fc.array(fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }), { minLength: n, maxLength: n }),
          fc.array(fc.option(text, { nil: null }), { minLength: n, maxLength: n }),
        ),
      );
    fc.assert(
      fc.property(table, ([numbers, strings]) => {
        const t = makeTable([
          numericColumn(
            'n',
            numbers.map((x) => (x === null ? Number.NaN : x)),
          ),
          categoricalColumn('s', strings),
        ]);
        const back = parseCsv(tableToCsv(t), { schema: { n: 'numeric', s: 'categorical' } });
        expect(rowsOf(back)).toEqual(rowsOf(t).map((r) => r.map((v) => (Object.is(v, -0) ? 0 : v))));
      }),
    );
  });
});

describe('writeCsvColumns', () => {
  it('writes the text formatCsv writes for the same rows, whatever mix of number, coded and cell columns', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', ' ', '1', 'é', '😀') });
    const cell = fc.oneof(fc.constant(null), fc.double({ noDefaultInfinity: true }), text);
    const columns = fc.integer({ min: 0, max: 8 }).chain((n) =>
      fc.array(
        fc.oneof(
          fc.array(fc.double({ noDefaultInfinity: true }), { minLength: n, maxLength: n }).map((xs) => Float64Array.from(xs)),
          fc.array(cell, { minLength: n, maxLength: n }),
          fc
            .uniqueArray(text, { minLength: 1, maxLength: 5 })
            .chain((dictionary) =>
              fc
                .array(fc.integer({ min: -1, max: dictionary.length - 1 }), { minLength: n, maxLength: n })
                .map((codes): CsvCodes => ({ codes: Int32Array.from(codes), dictionary })),
            ),
        ),
        { minLength: 1, maxLength: 4 },
      ),
    );
    const cellAt = (c: Float64Array | CsvCodes | CsvCell[], i: number): CsvCell =>
      'codes' in c ? (c.codes[i] === -1 ? null : c.dictionary[c.codes[i]]) : c[i];
    fc.assert(
      fc.property(columns, (cols) => {
        const header = cols.map((_, j) => `c${j}`);
        const rows = Array.from({ length: csvColumnLength(cols[0]) }, (_, i) => cols.map((c) => cellAt(c, i)));
        expect(columnsText(header, cols)).toBe(formatCsv(header, rows));
      }),
    );
  });

  it('writes a table in parts of its rows that join into its whole text, errors naming rows of the whole', () => {
    const cells = fc.array(
      fc.oneof(fc.constant(null), fc.double({ noDefaultInfinity: true }), fc.string({ unit: fc.constantFrom('a', ',', '"', '\n') })),
      {
        maxLength: 30,
      },
    );
    fc.assert(
      fc.property(cells, fc.array(fc.nat(30), { maxLength: 3 }), (column, cuts) => {
        const numbers = Float64Array.from(column, (c) => (typeof c === 'number' ? c : Number.NaN));
        const header = ['cell', 'number'];
        const bounds = [0, ...cuts.map((c) => Math.min(c, column.length)).sort((a, b) => a - b), column.length];
        const parts = bounds.slice(1).map((to, k) => {
          const from = bounds[k];
          return columnsText(header, [column.slice(from, to), numbers.slice(from, to)], { withHeader: k === 0, rowOffset: from });
        });
        expect(parts.join('')).toBe(columnsText(header, [column, numbers]));
      }),
    );
    expect(columnsText(['x'], [Float64Array.of()], { withHeader: false })).toBe('');
    expect(() => columnsText(['x'], [Float64Array.of(1, Infinity)], { withHeader: false, rowOffset: 40 })).toThrow(
      'row 42, column "x": Infinity cannot be written to CSV',
    );
    expect(() => columnsText(['x'], [[Infinity]], { rowOffset: 9 })).toThrow('row 10, column "x": Infinity cannot be written to CSV');
  });

  it('writes a column of instants as the ISO texts of formatCsv, and cuts it in parts like any column', () => {
    const times = Float64Array.from([Date.UTC(2026, 0, 1), Number.NaN, Date.UTC(1969, 11, 31, 23, 59, 59, 999), 1.5]);
    const text = columnsText(['at', 'x'], [{ instants: times }, Float64Array.of(1, 2, 3, 4)]);
    const cells = Array.from(times, (t, i): CsvCell[] => [Number.isNaN(t) ? null : new Date(t).toISOString(), i + 1]);
    expect(text).toBe(formatCsv(['at', 'x'], cells));
    const parts = [sliceCsvColumn({ instants: times }, 0, 2), sliceCsvColumn({ instants: times }, 2, 4)];
    expect(parts.map(csvColumnLength)).toEqual([2, 2]);
    const joined = parts.map((part, k) => columnsText(['at'], [part], { withHeader: k === 0, rowOffset: 2 * k })).join('');
    expect(joined).toBe(columnsText(['at'], [{ instants: times }]));
    expect(() => columnsText(['at', 'x'], [{ instants: times }, [1]])).toThrow('column "x" has 1 rows, but column "at" has 4');
  });

  it('rejects columns of unequal length and values CSV cannot hold, naming them', () => {
    expect(() => columnsText(['a', 'b'], [[1, 2], [3]])).toThrow('column "b" has 1 rows, but column "a" has 2');
    expect(() => columnsText(['a'], [[1], [2]])).toThrow('2 columns, but the header has 1');
    expect(() => columnsText(['x'], [Float64Array.of(1, Infinity)])).toThrow('row 2, column "x": Infinity cannot be written to CSV');
  });
});
