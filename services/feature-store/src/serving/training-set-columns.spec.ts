import fc from 'fast-check';
import { type StoredValue } from '../feature-views/feature-values';
import { type CsvCodes } from '@flywheel/ml';
import { csvColumn, featureColumn, MAX_CODED_DISTINCT_SHARE } from './training-set-columns';

/** What a row of the set holds, whatever form its column takes; text for booleans, as the CSV writes them. */
function rowsOf(column: Float64Array | CsvCodes | readonly StoredValue[]): Array<StoredValue> {
  if (column instanceof Float64Array) return Array.from(column, (v) => (Number.isNaN(v) ? null : v));
  if ('codes' in column) return Array.from(column.codes, (code) => (code === -1 ? null : column.dictionary[code]));
  return column.map((v) => (typeof v === 'boolean' ? String(v) : v));
}

describe('training-set columns', () => {
  // Matches into a history of values: -1 for a row with no record.
  const matchesInto = (size: number) => fc.array(fc.integer({ min: -1, max: size - 1 }), { maxLength: 300 }).map((m) => Int32Array.from(m));
  const expected = (matches: Int32Array, values: readonly StoredValue[]) =>
    Array.from(matches, (m) => (m === -1 ? null : values[m])).map((v) => (typeof v === 'boolean' ? String(v) : v));

  it('holds each row the value of the record it took, whatever form the column takes', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ maxLength: 3 }),
      fc.boolean(),
    );
    const histories = fc.oneof(
      fc.array(fc.oneof(fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: 1, maxLength: 50 }),
      fc.array(fc.oneof(fc.constant(null), fc.constantFrom('web', 'phone', 'shop'), fc.boolean()), { minLength: 1, maxLength: 50 }),
      fc.array(value, { minLength: 1, maxLength: 50 }),
    );
    fc.assert(
      fc.property(
        histories.chain((values) => fc.tuple(fc.constant(values), matchesInto(values.length))),
        ([values, matches]) => {
          const column = featureColumn(matches, values);
          expect(rowsOf(column)).toEqual(expected(matches, values));
          expect(rowsOf(csvColumn(column) as Float64Array | CsvCodes | StoredValue[])).toEqual(expected(matches, values));
        },
      ),
    );
  });

  it('types numbers, codes text of few distinct values, and keeps text of many as it is', () => {
    const rows = 1_000;
    const matches = Int32Array.from({ length: rows }, (_, i) => (i % 10 === 0 ? -1 : i));
    expect(
      featureColumn(
        matches,
        Array.from({ length: rows }, (_, i) => i * 0.5),
      ),
    ).toBeInstanceOf(Float64Array);
    const channels = featureColumn(
      matches,
      Array.from({ length: rows }, (_, i) => ['web', 'phone', true][i % 3]),
    );
    expect(channels).toMatchObject({ dictionary: expect.arrayContaining(['web', 'phone', 'true']) });
    expect((channels as CsvCodes).dictionary).toHaveLength(3);
    // Past a quarter of the rows distinct, each CSV part would be sent more strings than its own rows hold.
    const distinctText = (distinct: number) =>
      featureColumn(
        matches,
        Array.from({ length: rows }, (_, i) => `id-${i % distinct}`),
      );
    expect('codes' in distinctText(Math.floor(rows * MAX_CODED_DISTINCT_SHARE) - 10)).toBe(true);
    expect(Array.isArray(distinctText(rows))).toBe(true);
    // Numbers among text: the stored values, as they are.
    expect(Array.isArray(featureColumn(Int32Array.of(0, 1), ['a', 1]))).toBe(true);
  });
});
