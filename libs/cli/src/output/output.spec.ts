import { formatSeconds, formatValue } from './format';
import { toJson } from './json';

describe('formatValue', () => {
  it('prints integers in full and other values to four significant digits', () => {
    expect(formatValue(800)).toBe('800');
    expect(formatValue(0.7100000001)).toBe('0.7100');
    expect(formatValue(12.345678)).toBe('12.35');
    expect(formatValue(123456.7)).toBe('123457');
    expect(formatValue(0.000123456)).toBe('0.0001235');
    expect(formatValue(-2.5e-12)).toBe('-2.500e-12');
    expect(formatValue(3.2e9 + 0.5)).toBe('3.200e+9');
    expect(formatValue(0.5, 2)).toBe('0.50');
  });

  it('names the non-finite values', () => {
    expect([Infinity, -Infinity, Number.NaN].map((x) => formatValue(x))).toEqual(['inf', '-inf', 'NaN']);
  });

  it('prints durations in milliseconds below a second', () => {
    expect(formatSeconds(0.1234)).toBe('123 ms');
    expect(formatSeconds(12.345)).toBe('12.3 s');
  });
});

describe('toJson', () => {
  it('writes one document with typed arrays as arrays and non-finite numbers as strings', () => {
    const text = toJson({ a: Float64Array.from([1, Infinity]), b: Number.NaN, c: null, d: -Infinity });
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({ a: [1, 'Infinity'], b: 'NaN', c: null, d: '-Infinity' });
  });
});
