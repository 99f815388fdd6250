import fc from 'fast-check';
import { isoTimestamps } from './iso-timestamps';

describe('isoTimestamps', () => {
  it('writes every instant as toISOString does, across days, years, signs and fractions of a millisecond', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }), { maxLength: 50 }), (times) => {
        expect(isoTimestamps(times)).toEqual(times.map((t) => new Date(t).toISOString()));
      }),
    );
  });

  it('writes runs of instants within a day, and the edges of days and of the Date range', () => {
    const base = Date.UTC(2026, 11, 6);
    const times = [base - 1, base, base + 1, base + 86_399_999, base + 86_400_000, -1, 0, 1, -8.64e15, 8.64e15, 951_782_400_000 - 1];
    for (let i = 0; i < 500; i++) times.push(base + i * 173_003.7);
    expect(isoTimestamps(Float64Array.from(times))).toEqual(times.map((t) => new Date(t).toISOString()));
  });

  it('throws as toISOString does for an instant no Date holds', () => {
    expect(() => isoTimestamps([8.64e15 + 1])).toThrow(RangeError);
    expect(() => isoTimestamps([Number.NaN])).toThrow(RangeError);
  });
});
