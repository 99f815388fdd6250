import fc from 'fast-check';
import { CsvBytes, quote } from './csv-bytes';

function numberBytes(v: number): string {
  const out = new CsvBytes(1);
  out.number(v);
  return out.finish().toString('latin1');
}

describe('CsvBytes', () => {
  it('writes every double as String does: shortest round trip, exponents, signs, NaN as missing', () => {
    const cases = [
      0,
      -0,
      1,
      -1,
      0.1,
      0.2 + 0.1,
      1 / 3,
      -2 / 3,
      1e-6,
      9.99e-7,
      1e-7,
      123456.789,
      2 ** 50,
      2 ** 50 - 0.5,
      2 ** 53,
      2 ** 53 + 2,
    ];
    cases.push(1e14, 1e14 - 0.25, 99999999999999.9, 1e21, 1e21 - 65536, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 0.000001234, 4.35);
    for (const v of cases) expect([v, numberBytes(v)]).toEqual([v, String(v)]);
    expect(numberBytes(Number.NaN)).toBe('');
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (v) => numberBytes(v) === String(v)),
      { numRuns: 20_000 },
    );
  });

  it('writes decimals of every number of places as String does, near the bounds of the digit-by-digit path', () => {
    const decimal = fc
      .tuple(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.integer({ min: 0, max: 20 }))
      .map(([m, places]) => m / 10 ** places);
    const nearBounds = fc
      .tuple(fc.constantFrom(1e-6, 1e14, 2 ** 50, 1, 10, 0.1), fc.integer({ min: -2000, max: 2000 }))
      .map(([base, ulps]) => {
        const bits = new Float64Array([base]);
        new BigInt64Array(bits.buffer)[0] += BigInt(ulps);
        return bits[0];
      });
    fc.assert(
      fc.property(fc.oneof(decimal, nearBounds), (v) => numberBytes(v) === String(v)),
      { numRuns: 50_000 },
    );
  });

  it('writes every instant as toISOString does, across days, years, signs and fractions of a millisecond', () => {
    const instantsBytes = (times: ArrayLike<number>) => {
      const out = new CsvBytes(1);
      for (let i = 0; i < times.length; i++) {
        out.instant(times[i]);
        out.endRecord();
      }
      return out.finish().toString('latin1');
    };
    const iso = (times: number[]) => times.map((t) => `${new Date(t).toISOString()}\n`).join('');
    fc.assert(
      fc.property(fc.array(fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }), { maxLength: 50 }), (times) => {
        expect(instantsBytes(times)).toBe(iso(times));
      }),
    );
    // Runs within a day (the day's date is kept), the edges of days and of a Date's range.
    const base = Date.UTC(2026, 11, 6);
    const times = [base - 1, base, base + 1, base + 86_399_999, base + 86_400_000, -1, 0, 1, -0, -8.64e15, 8.64e15, 951_782_400_000 - 1];
    for (let i = 0; i < 500; i++) times.push(base + i * 173_003.7);
    expect(instantsBytes(times)).toBe(iso(times));
    // Missing: an empty field (a record of it alone is written ""). Past a Date's range: toISOString's RangeError.
    expect(instantsBytes([Number.NaN])).toBe('""\n');
    expect(() => instantsBytes([8.64e15 + 1])).toThrow(RangeError);
    expect(() => instantsBytes([-Infinity])).toThrow(RangeError);
  });

  it('writes text fields as quote does, encoded in UTF-8, unpaired surrogates as U+FFFD like Buffer.from', () => {
    const unit = fc.constantFrom(
      'a',
      'Z',
      ' ',
      ',',
      ';',
      '"',
      '\n',
      '\r',
      'é',
      '€',
      '😀',
      '\ud800',
      '\udc00',
      '\u0000',
      '\u007f',
      '\u0080',
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), fc.constantFrom(',', ';', '\t'), (text, delimiter) => {
        const out = new CsvBytes(4, delimiter);
        out.text(text);
        expect(out.finish().equals(Buffer.from(quote(text, delimiter), 'utf8'))).toBe(true);
      }),
    );
  });

  it('separates fields, ends records, keeps a record of one empty field as "" and grows past its first guess', () => {
    const out = new CsvBytes(1, ';', '\r\n');
    out.text('a;b');
    out.number(1.5);
    out.empty();
    out.endRecord();
    out.empty();
    out.endRecord();
    out.text('');
    out.endRecord();
    out.endRecord();
    const long = 'x'.repeat(10_000);
    out.text(long);
    out.endRecord();
    expect(out.finish().toString('utf8')).toBe(`"a;b";1.5;\r\n""\r\n""\r\n\r\n${long}\r\n`);
  });

  it('hands over a buffer that spans its own memory, so that it can move to another thread', () => {
    const out = new CsvBytes(1024);
    out.number(42);
    out.endRecord();
    const bytes = out.finish();
    expect(bytes.toString()).toBe('42\n');
    expect([bytes.byteOffset, bytes.buffer.byteLength]).toEqual([0, 3]);
  });
});
