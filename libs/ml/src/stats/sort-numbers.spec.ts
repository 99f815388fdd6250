import fc from 'fast-check';
import { RADIX_MIN_LENGTH, sortNumbers } from './sort-numbers';

/** Whether two arrays hold the same numbers in the same places, −0 and +0 told apart. */
function same(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** A double with the given bits: NaNs of any sign and payload, subnormals, −0. */
function fromBits(high: number, low: number): number {
  const words = new Uint32Array([low, high]);
  return new Float64Array(words.buffer)[0];
}

describe('sortNumbers', () => {
  const anyDouble = fc.oneof(
    fc.double(),
    fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)).map(([high, low]) => fromBits(high, low)),
    fc.constantFrom(0, -0, Infinity, -Infinity, Number.NaN, fromBits(0xfff80000, 1), Number.MIN_VALUE, -Number.MAX_VALUE),
    fc.integer({ min: -50, max: 50 }),
  );

  it('orders as Float64Array.prototype.sort does, radix-sized arrays and small ones', () => {
    fc.assert(
      fc.property(
        fc.array(anyDouble, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.boolean(),
        (pattern, extra, large) => {
          // A pattern repeated, so that digits shared by all and runs of equals both occur.
          const length = large ? RADIX_MIN_LENGTH + extra : extra % 300;
          const values = Float64Array.from({ length }, (_, i) => pattern[i % pattern.length]);
          const expected = Float64Array.from(values).sort();
          const sorted = sortNumbers(values);
          expect(sorted).toBe(values);
          expect(same(sorted, expected)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sorts columns of the shapes profiles see: sorted, reversed, few distinct, one value, a view into a larger buffer', () => {
    const n = 50_000;
    const shapes = [
      Float64Array.from({ length: n }, (_, i) => 1.767e12 + i * 1000),
      Float64Array.from({ length: n }, (_, i) => n - i),
      Float64Array.from({ length: n }, (_, i) => (i * 7919) % 13),
      new Float64Array(n).fill(-2.5),
      Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e300),
      Float64Array.from({ length: n + 10 }, (_, i) => Math.cos(i) * (i % 3 === 0 ? -1 : 1)).subarray(5, n + 5),
    ];
    for (const values of shapes) {
      const expected = Float64Array.from(values).sort();
      expect(same(sortNumbers(values), expected)).toBe(true);
    }
  });
});
