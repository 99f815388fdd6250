import fc from 'fast-check';
import * as commonV1 from './generated/flywheel/common/v1/common';
import { type ProfileValue, profileColumns } from './data-profile';

const { ColumnType } = commonV1;

describe('training set profile', () => {
  /** The numeric profile of `xs`, its quantiles and extremes checked against a full sort's, the column left as it was. */
  const profiledAsSorted = (xs: number[]) => {
    const column = Float64Array.from(xs);
    const summary = profileColumns(xs.length, [{ name: 'x', type: ColumnType.COLUMN_TYPE_DOUBLE, values: column }]).columns[0].numeric!;
    expect(column).toEqual(Float64Array.from(xs));
    const sorted = [...xs].sort((a, b) => a - b);
    const quantile = (p: number) => {
      const h = (sorted.length - 1) * p;
      const lo = Math.floor(h);
      const hi = Math.min(lo + 1, sorted.length - 1);
      return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    };
    // -0 and 0 compare equal, so which of them a sort or a selection puts first is arbitrary.
    const signlessZeros = (values: readonly number[]) => values.map((x) => x + 0);
    expect(signlessZeros(summary.quantiles)).toEqual(signlessZeros(Array.from({ length: 21 }, (_, i) => quantile(i / 20))));
    expect(signlessZeros([summary.min, summary.max])).toEqual(signlessZeros([sorted[0], sorted[sorted.length - 1]]));
    return summary;
  };

  it('gives the quantiles, extremes and moments a full sort gives, with many repeated values or none', () => {
    const values = fc.oneof(
      fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 3000 }),
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3000 }),
      fc.integer({ min: 1, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => n - i)),
      // Ordered inputs (event times are), which fixed pivot places handle worst: ascending with
      // repeats, organ pipes, saw teeth.
      fc.integer({ min: 1, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => Math.floor(i / 3))),
      fc.integer({ min: 1, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => Math.min(i, n - i))),
      fc.integer({ min: 1, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => i % 97)),
      // Values crowded into a few of the equal-width buckets that find the ranks: a heavy tail,
      // and one far outlier.
      fc.array(
        fc.double({ noNaN: true, min: 0, max: 1 }).map((x) => Math.exp(40 * x)),
        { minLength: 1, maxLength: 3000 },
      ),
      fc
        .tuple(
          fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3000 }),
          fc.double({ noNaN: true, min: 1e100, max: 1e300 }),
        )
        .map(([xs, far]) => [...xs, far]),
    );
    fc.assert(
      fc.property(values, (xs) => {
        const summary = profiledAsSorted(xs);
        // Within rounding of the plain sum's mean, relative to the largest value (heavy tails reach 1e17).
        const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
        const largest = xs.reduce((a, b) => Math.max(a, Math.abs(b)), 1);
        expect(Math.abs(summary.mean - mean)).toBeLessThanOrEqual(1e-12 * largest);
        expect(summary.histogramCounts.reduce((a, b) => a + b, 0)).toBe(xs.length);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the quantiles a full sort gives of values spanning more than a double holds, or less than a normal one', () => {
    const values = fc.oneof(
      fc.array(fc.constantFrom(-1.7e308, -1, 0, 1, 1.7e308), { minLength: 1, maxLength: 3000 }),
      fc.array(fc.constantFrom(-5e-324, 0, 5e-324, 1e-323), { minLength: 1, maxLength: 3000 }),
    );
    fc.assert(
      fc.property(values, (xs) => void profiledAsSorted(xs)),
      { numRuns: 50 },
    );
  });

  it('profiles a typed column of numbers (NaN missing) exactly as the same values stored one by one', () => {
    const column = (values: fc.Arbitrary<number>) => fc.array(fc.option(values, { nil: null }), { maxLength: 60 });
    const cases = fc.oneof(
      column(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })).map((values) => ({
        type: ColumnType.COLUMN_TYPE_DOUBLE,
        values,
        stored: values as ProfileValue[],
      })),
      // Instants: epoch milliseconds in the typed column, RFC 3339 text when stored.
      column(fc.integer({ min: 0, max: 4_102_444_800_000 })).map((values) => ({
        type: ColumnType.COLUMN_TYPE_TIMESTAMP,
        values,
        stored: values.map((v) => (v === null ? null : new Date(v).toISOString())),
      })),
    );
    fc.assert(
      fc.property(cases, ({ type, values, stored }) => {
        const typed = Float64Array.from(values, (v) => (v === null ? Number.NaN : v));
        const asTyped = profileColumns(values.length, [{ name: 'x', type, values: typed }]);
        const asStored = profileColumns(values.length, [{ name: 'x', type, values: stored }]);
        expect(asTyped).toEqual(asStored);
      }),
    );
  });

  it('profiles a coded column as the values it codes, unused and missing codes included', () => {
    const dictionaries = fc.oneof(
      fc
        .uniqueArray(fc.string({ maxLength: 3 }), { minLength: 1, maxLength: 150 })
        .map((d) => ({ type: ColumnType.COLUMN_TYPE_STRING, d: d as ProfileValue[] })),
      fc
        .uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 40 })
        .map((d) => ({ type: ColumnType.COLUMN_TYPE_INTEGER, d: d as ProfileValue[] })),
      fc.constant({ type: ColumnType.COLUMN_TYPE_BOOLEAN, d: [true, false, null] as ProfileValue[] }),
    );
    const cases = dictionaries.chain(({ type, d }) =>
      fc
        .array(fc.integer({ min: -1, max: d.length - 1 }), { maxLength: 400 })
        .map((codes) => ({ type, dictionary: d, codes: Int32Array.from(codes) })),
    );
    fc.assert(
      fc.property(cases, ({ type, dictionary, codes }) => {
        const coded = profileColumns(codes.length, [{ name: 'x', type, values: { codes, dictionary } }]);
        const plain = profileColumns(codes.length, [
          { name: 'x', type, values: Array.from(codes, (c) => (c === -1 ? null : dictionary[c])) },
        ]);
        expect(coded).toEqual(plain);
      }),
    );
  });

  it('keeps the 100 most frequent values, equal counts in value order, as a full sort would', () => {
    const values = fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 400 }).map(String)), { maxLength: 600 });
    fc.assert(
      fc.property(values, (strings) => {
        const [column] = profileColumns(strings.length, [{ name: 'key', type: ColumnType.COLUMN_TYPE_STRING, values: strings }]).columns;
        const counts = new Map<string, number>();
        for (const s of strings) counts.set(s, (counts.get(s) ?? 0) + 1);
        const expected = [...counts.entries()]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, 100)
          .map(([value, count]) => ({ value, count }));
        expect(column.categorical?.topValues).toEqual(expected);
        expect(column.categorical?.distinctCount).toBe(counts.size);
        expect(column.categorical?.otherCount).toBe(strings.length - expected.reduce((n, t) => n + t.count, 0));
      }),
    );
  });
});
