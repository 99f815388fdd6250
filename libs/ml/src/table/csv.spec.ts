import { CsvError, parseCsv } from './csv';
import { type Column, cellValue, getColumn, takeRows, makeTable, numericColumn, categoricalColumn } from './table';

const values = (c: Column): (number | string | null)[] =>
  Array.from({ length: c.type === 'numeric' ? c.values.length : c.codes.length }, (_, i) => cellValue(c, i));

describe('parseCsv', () => {
  it('infers numeric and categorical columns, with missing values', () => {
    const t = parseCsv('a,b,c\n1,x,\n2.5,,true\n-3e2,y,NA\n');
    expect(t.nRows).toBe(3);
    const a = getColumn(t, 'a');
    expect(a.type).toBe('numeric');
    expect(values(a)).toEqual([1, 2.5, -300]);
    const b = getColumn(t, 'b');
    expect(b.type).toBe('categorical');
    expect(values(b)).toEqual(['x', null, 'y']);
    expect(values(getColumn(t, 'c'))).toEqual([null, 'true', null]);
  });

  it('stores categoricals dictionary-encoded with -1 for missing', () => {
    const t = parseCsv('k\nb\na\nb\n\nNA\n');
    const k = getColumn(t, 'k');
    if (k.type !== 'categorical') throw new Error('expected categorical');
    expect(k.dictionary).toEqual(['b', 'a']);
    expect(Array.from(k.codes)).toEqual([0, 1, 0, -1]);
  });

  it('reads RFC 4180 quoting: delimiters, doubled quotes and newlines inside quotes', () => {
    const t = parseCsv('name,note\r\n"Smith, J","said ""hi"""\r\n"multi\nline",plain\r\n');
    expect(values(getColumn(t, 'name'))).toEqual(['Smith, J', 'multi\nline']);
    expect(values(getColumn(t, 'note'))).toEqual(['said "hi"', 'plain']);
  });

  it('accepts bytes with a BOM, CR line ends and another delimiter', () => {
    const bytes = new TextEncoder().encode('\ufeffx;y\r1;2\r3;4');
    const t = parseCsv(bytes, { delimiter: ';' });
    expect(values(getColumn(t, 'x'))).toEqual([1, 3]);
    expect(values(getColumn(t, 'y'))).toEqual([2, 4]);
  });

  it('honours an explicit schema', () => {
    const t = parseCsv('zip,amount\n01234,5\n98765,6\n', { schema: { zip: 'categorical' } });
    expect(values(getColumn(t, 'zip'))).toEqual(['01234', '98765']);
    expect(getColumn(t, 'amount').type).toBe('numeric');
  });

  it('names the row and column of a value that is not a number', () => {
    const rows = ['id,amount', ...Array.from({ length: 16 }, (_, i) => `${i},${i * 1.5}`), '16,"12,x"'];
    const parse = (): unknown => parseCsv(rows.join('\n'), { schema: { amount: 'numeric' } });
    expect(parse).toThrow(CsvError);
    expect(parse).toThrow('row 17 (line 18), column "amount": "12,x" is not a number');
    try {
      parse();
    } catch (e) {
      expect(e).toMatchObject({ row: 17, line: 18, column: 'amount' });
    }
  });

  it('reports structural errors with their position', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n')).toThrow('row 2 (line 3): 1 fields, but the header has 2');
    // Skipped columns may hold quoted delimiters, quotes and line breaks: the kept ones read as in a full parse.
    const text = 'id,note,amount\na,"x\n,y",1\nb,"q""",\nc,,3\n';
    const full = parseCsv(text);
    const some = parseCsv(text, { columns: ['amount', 'id'] });
    expect(some.columns.map((c) => c.name)).toEqual(['id', 'amount']);
    for (const c of some.columns) expect(c).toEqual(full.columns.find((f) => f.name === c.name));
    expect(() => parseCsv('a\n"open\n')).toThrow(/row 1 \(line 2\): quoted field opened on line 2 is never closed/);
    expect(() => parseCsv('a,b\n"x"y,1\n')).toThrow(/row 1 \(line 2\), field 1: unexpected character after a closing quote/);
    expect(() => parseCsv('a,b\nx"y,1\n')).toThrow(/a quote inside an unquoted field/);
    expect(() => parseCsv('a,a\n1,2\n')).toThrow('header: duplicate column "a"');
    expect(() => parseCsv('')).toThrow('CSV has no header row');
    expect(() => parseCsv('a\n1e999\n', { schema: { a: 'numeric' } })).toThrow('is not a finite number');
    expect(() => parseCsv('a\n1\n', { schema: { b: 'numeric' } })).toThrow('schema names column "b"');
  });

  it('builds only the columns asked for, still checking every row has every field', () => {
    const table = parseCsv('id,amount,note\na,1,"x,y"\nb,oops,z\n', { columns: ['id', 'note'] });
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'note']);
    expect(table.nRows).toBe(2);
    expect(() => parseCsv('id,amount\na,1\nb\n', { columns: ['id'] })).toThrow('row 2 (line 3): 1 fields, but the header has 2');
    expect(() => parseCsv('id\na\n', { columns: ['label'] })).toThrow('column "label" was asked for, but is not in the header');
  });

  it('keeps row numbers right across quoted newlines', () => {
    expect(() => parseCsv('a,b\n"x\ny",1\nz,oops\n', { schema: { b: 'numeric' } })).toThrow(
      'row 2 (line 4), column "b": "oops" is not a number',
    );
  });
});

describe('table helpers', () => {
  it('takes rows by index and validates shapes', () => {
    const t = makeTable([numericColumn('x', [1, 2, 3]), categoricalColumn('c', ['a', null, 'b'])]);
    const sub = takeRows(t, Int32Array.from([2, 0]));
    expect(values(getColumn(sub, 'x'))).toEqual([3, 1]);
    expect(values(getColumn(sub, 'c'))).toEqual(['b', 'a']);
    expect(() => makeTable([numericColumn('x', [1]), numericColumn('y', [1, 2])])).toThrow('column "y" has 2 rows, expected 1');
    expect(() => getColumn(t, 'nope')).toThrow('column "nope" not found');
  });
});
