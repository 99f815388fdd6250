import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Preprocessor, fitPreprocessor } from '../preprocessing/preprocessor';
import { parseCsv } from '../table/csv';
import { getColumn } from '../table/table';
import { fitLogisticRegression, predictLogisticProba } from './logistic-regression';

const fixtures = join(__dirname, '../../fixtures');
const reference = JSON.parse(readFileSync(join(fixtures, 'models-logreg.json'), 'utf8'));

interface Run {
  C: number;
  classes: number[];
  coef: number[][];
  intercept: number[];
  exact: { coef: number[][]; intercept: number[] };
  probaFirstRows: number[][];
}

function load(file: string, label: string): { x: Float64Array[]; y: Int32Array } {
  const table = parseCsv(readFileSync(join(fixtures, file)));
  const features = table.columns.map((c) => c.name).filter((n) => n !== label);
  // Standardised exactly as the fixture does (StandardScaler on all rows).
  const x = new Preprocessor(fitPreprocessor(table, features)).transform(table);
  const col = getColumn(table, label);
  if (col.type !== 'numeric') throw new Error('numeric label expected');
  return { x, y: Int32Array.from(col.values) };
}

function maxDiff(a: readonly ArrayLike<number>[], b: number[][]): number {
  let m = 0;
  a.forEach((row, k) => {
    for (let j = 0; j < row.length; j++) m = Math.max(m, Math.abs(row[j] - b[k][j]));
  });
  return m;
}

describe.each([
  ['binary', 'models-logreg-binary.csv', 'y'],
  ['multiclass', 'models-logreg-multiclass.csv', 'label'],
] as const)('logistic regression, %s, against scikit-learn 1.2 LogisticRegression(lbfgs)', (kind, file, label) => {
  const data = load(file, label);
  it.each((reference[kind] as Run[]).map((r) => [r.C, r] as const))('C = %s: coefficients and intercepts within 1e-4', (_c, run) => {
    const { model, optimizer } = fitLogisticRegression(data.x, data.y, run.classes.length, { C: run.C });
    expect(optimizer.stop).toBe('gradient');
    expect(model.coef).toHaveLength(run.coef.length);
    expect(maxDiff(model.coef, run.coef)).toBeLessThan(1e-4);
    expect(maxDiff([model.intercept], [run.intercept])).toBeLessThan(1e-4);
    // sklearn stops on scipy's relative-decrease test; against the exact minimiser we are far closer.
    expect(maxDiff(model.coef, run.exact.coef)).toBeLessThan(1e-7);
    expect(maxDiff([model.intercept], [run.exact.intercept])).toBeLessThan(1e-7);

    const rows = 5;
    const head = data.x.map((c) => c.subarray(0, rows));
    const proba = Array.from({ length: run.classes.length }, () => new Float64Array(rows));
    predictLogisticProba(model, head, proba);
    for (let i = 0; i < rows; i++)
      for (let k = 0; k < run.classes.length; k++) expect(Math.abs(proba[k][i] - run.probaFirstRows[i][k])).toBeLessThan(1e-5);
  });
});

describe('fitLogisticRegression', () => {
  it('reports progress per block of iterations', () => {
    const data = load('models-logreg-multiclass.csv', 'label');
    const seen: number[] = [];
    fitLogisticRegression(data.x, data.y, 3, { C: 1, progressEvery: 2, onProgress: (p) => seen.push(p.iteration) });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((it) => it % 2 === 0)).toBe(true);
  });

  it('rejects bad inputs', () => {
    const x = [Float64Array.from([0, 1])];
    expect(() => fitLogisticRegression(x, Int32Array.from([0, 1]), 2, { C: 0 })).toThrow('C must be > 0');
    expect(() => fitLogisticRegression(x, Int32Array.from([0, 2]), 2)).toThrow('class index 2 in row 2');
  });
});
