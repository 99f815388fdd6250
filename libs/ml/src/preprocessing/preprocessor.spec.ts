import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../random/rng';
import { parseCsv } from '../table/csv';
import { categoricalColumn, makeTable, numericColumn } from '../table/table';
import { Preprocessor, fitPreprocessor, signatureOf } from './preprocessor';
import { SignatureError, schemaOf } from './signature';

const fixtures = join(__dirname, '../../fixtures');

describe('fitPreprocessor', () => {
  const table = makeTable([numericColumn('x', [1, 3, Number.NaN, 10, 3]), categoricalColumn('c', ['b', 'a', null, 'b', 'a'])]);

  it('imputes the mean, median or most frequent value (smallest among ties, as SimpleImputer)', () => {
    const fill = (impute: 'mean' | 'median' | 'most_frequent'): [unknown, unknown] => {
      const s = fitPreprocessor(table, ['x', 'c'], { impute, scale: false }).steps;
      return [s[0].fill, s[1].type === 'categorical' ? s[1].categories[s[1].fill] : null];
    };
    expect(fill('mean')).toEqual([(1 + 3 + 10 + 3) / 4, 'a']);
    expect(fill('median')).toEqual([3, 'a']);
    expect(fill('most_frequent')).toEqual([3, 'a']);
  });

  it('standardises with the population standard deviation, as sklearn StandardScaler on its fixture', () => {
    const fixture = JSON.parse(readFileSync(join(fixtures, 'models-logreg.json'), 'utf8')).binary[0];
    const data = parseCsv(readFileSync(join(fixtures, 'models-logreg-binary.csv')));
    const features = ['x0', 'x1', 'x2', 'x3', 'x4'];
    const steps = fitPreprocessor(data, features).steps;
    steps.forEach((s, j) => {
      if (s.type !== 'numeric') throw new Error('numeric expected');
      expect(Math.abs(s.center - fixture.scalerMean[j])).toBeLessThan(1e-12 * Math.max(1, Math.abs(fixture.scalerMean[j])));
      expect(Math.abs(s.scale - fixture.scalerScale[j]) / fixture.scalerScale[j]).toBeLessThan(1e-12);
    });
  });

  it('keeps scale 1 for a constant feature', () => {
    const s = fitPreprocessor(makeTable([numericColumn('k', [4, 4, 4])]), ['k']).steps[0];
    expect(s).toMatchObject({ center: 4, scale: 1 });
  });
});

describe('Preprocessor', () => {
  const train = makeTable([numericColumn('x', [0, 2, Number.NaN, 4]), categoricalColumn('color', ['red', 'blue', 'red', null])]);
  const state = fitPreprocessor(train, ['x', 'color']);
  const pre = new Preprocessor(state);

  it('one-hot encodes sorted categories plus an unknown bucket', () => {
    expect(pre.outputNames).toEqual(['x', 'color=blue', 'color=red', 'color=<unknown>']);
    const test = makeTable([numericColumn('x', [2, Number.NaN, 0]), categoricalColumn('color', ['green', 'blue', null])]);
    const out = pre.transform(test).map((c) => Array.from(c));
    // Mean of 0, 2, 4 (and the imputed 2) is 2; std of [0, 2, 2, 4] is sqrt(2).
    expect(out[0]).toEqual([0, 0, -2 / Math.SQRT2]);
    expect(out[1]).toEqual([0, 1, 0]);
    expect(out[2]).toEqual([0, 0, 1]); // missing colour imputed with the most frequent, red
    expect(out[3]).toEqual([1, 0, 0]); // green is unknown
  });

  it('transforms a single row exactly as the batch does, without allocating', () => {
    const row = new Float64Array(pre.nOutputs);
    pre.transformRowInto({ x: null, color: 'green' }, row);
    const batch = pre.transform(makeTable([numericColumn('x', [Number.NaN]), categoricalColumn('color', ['green'])]));
    expect(Array.from(row)).toEqual(batch.map((c) => c[0]));
  });

  it('rejects input that violates the signature, naming the field', () => {
    const row = new Float64Array(pre.nOutputs);
    expect(() => pre.transformRowInto({ color: 'red' }, row)).toThrow('field "x" is missing');
    expect(() => pre.transformRowInto({ x: '3', color: 'red' }, row)).toThrow('field "x" must be a number or null, got string');
    expect(() => pre.transformRowInto({ x: 1, color: 7 }, row)).toThrow('field "color" must be a string or null, got number');
    expect(() => pre.transform(makeTable([numericColumn('x', [1]), numericColumn('color', [1])]))).toThrow(
      'field "color" must be categorical, but the input column is numeric',
    );
    expect(() => pre.transform(makeTable([numericColumn('x', [1])]))).toThrow(SignatureError);
    const strict = new Preprocessor(fitPreprocessor(train, ['x', 'color'], { acceptUnknownCategories: false }));
    expect(() => strict.transformRowInto({ x: 1, color: 'green' }, row)).toThrow('field "color": "green" is not an allowed category');
    expect(() => strict.transform(makeTable([numericColumn('x', [1]), categoricalColumn('color', ['green'])]))).toThrow(
      'field "color": "green" is not an allowed category',
    );
  });

  it('encodes ordinally for trees, keeping missing and unknown values missing', () => {
    const ordinal = new Preprocessor(fitPreprocessor(train, ['x', 'color'], { impute: 'none', scale: false, categorical: 'ordinal' }));
    const out = ordinal.transform(makeTable([numericColumn('x', [Number.NaN, 5]), categoricalColumn('color', ['red', 'green'])]));
    expect(Array.from(out[0])).toEqual([Number.NaN, 5]);
    expect(Array.from(out[1])).toEqual([1, Number.NaN]);
  });

  it('exposes a signature and the CSV schema that reads input the same way', () => {
    const sig = signatureOf(state);
    expect(sig.features).toEqual([
      { name: 'x', type: 'numeric' },
      { name: 'color', type: 'categorical', categories: ['blue', 'red'] },
    ]);
    expect(schemaOf(sig)).toEqual({ x: 'numeric', color: 'categorical' });
  });

  describe('linearScorerFor', () => {
    /** Six numeric columns (gaps in some; one far from 0, whose centring must not lose digits) and two categorical ones. */
    function table(rows: number, seed: number) {
      const rng = new Rng(seed);
      const numeric = Array.from({ length: 6 }, (_, j) =>
        numericColumn(
          `n${j}`,
          Float64Array.from({ length: rows }, () =>
            j % 2 === 1 && rng.next() < 0.15 ? Number.NaN : rng.normal() * (j + 1) + (j === 4 ? 1e6 : 0),
          ),
        ),
      );
      const colours = ['red', 'green', 'blue', 'violet'];
      const categorical = ['c0', 'c1'].map((name) =>
        categoricalColumn(
          name,
          Array.from({ length: rows }, () => (rng.next() < 0.1 ? null : colours[rng.nextInt(colours.length)])),
        ),
      );
      return makeTable([...numeric, ...categorical]);
    }

    it.each([
      ['mean', 'onehot', true],
      ['none', 'onehot', true],
      ['median', 'ordinal', true],
      ['mean', 'onehot', false],
    ] as const)('adds the scores of the encoded rows (impute %s, %s, scaled %s), block by block', (impute, categorical, scale) => {
      const features = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'c0', 'c1'];
      const pre = new Preprocessor(fitPreprocessor(table(300, 1), features, { impute, categorical, scale }));
      // A table with categories training never saw, in blocks of 64 rows and a partial one.
      const rows = 200;
      const blockRows = 64;
      const test = table(rows, 2);
      const nOut = 2;
      const rng = new Rng(3);
      const weights = Float64Array.from({ length: nOut * pre.nOutputs }, (_, j) =>
        j % pre.nOutputs < 4 && j < pre.nOutputs ? 0 : rng.normal(),
      );
      const raw = Array.from({ length: nOut }, (_, k) => new Float64Array(rows).fill(k + 0.5));
      const score = pre.linearScorerFor(test, weights, nOut, blockRows);
      for (let start = 0; start < rows; start += blockRows) score(start, Math.min(rows, start + blockRows), raw);

      const encoded = pre.transform(test);
      for (let k = 0; k < nOut; k++) {
        for (let i = 0; i < rows; i++) {
          let expected = k + 0.5;
          for (let j = 0; j < pre.nOutputs; j++) expected += weights[k * pre.nOutputs + j] * encoded[j][i];
          if (Number.isNaN(expected)) expect(raw[k][i]).toBeNaN();
          else expect(Math.abs(raw[k][i] - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
        }
      }
      if (impute === 'none') expect(raw[1].some(Number.isNaN)).toBe(true);
      expect(() => score(0, blockRows + 1, raw)).toThrow(`at most ${blockRows} rows a call, got ${blockRows + 1}`);
    });
  });
});
