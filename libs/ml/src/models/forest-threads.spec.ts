import { fitModel } from '../artifact/fit-model';
import { BATCH_BLOCK_ROWS, loadModel } from '../artifact/loaded-model';
import { Rng } from '../random/rng';
import { makeTable, numericColumn, type Table } from '../table/table';
import { flattenForest, forestColumns } from './forest';
import { ForestThreads, MIN_WALKS_FOR_THREADS } from './forest-threads';
import { stopHelperThreads } from './helper-threads';

/** Rows × 6 features with missing values, a binary label and a numeric target. */
function data(rows: number, seed: number): Table {
  const rng = new Rng(seed);
  const x = Array.from({ length: 6 }, () => new Float64Array(rows));
  const y = new Float64Array(rows);
  const target = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < 6; f++) x[f][i] = rng.next() < 0.05 ? Number.NaN : rng.normal();
    const z = (x[0][i] || 0) - 0.7 * (x[3][i] || 0) + (Number.isNaN(x[5][i]) ? 1.5 : 0.4 * x[5][i] * (x[4][i] || 0));
    y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    target[i] = z + rng.normal() * 0.1;
  }
  return makeTable([...x.map((c, f) => numericColumn(`x${f}`, c)), numericColumn('y', y), numericColumn('target', target)]);
}

const features = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'];

afterAll(() => stopHelperThreads());

describe('forest threads', () => {
  // Enough rows for several blocks and a partial one, and enough walks for threads.
  const rows = 3 * BATCH_BLOCK_ROWS + 777;
  const table = data(rows, 3);
  const classifier = loadModel(
    fitModel({ table, label: 'y', algo: 'gbdt', params: { maxIter: 100, earlyStopping: false, holdout: 0 }, features, seed: 1 }),
  );
  const regressor = loadModel(
    fitModel({ table, label: 'target', algo: 'gbdt', params: { maxIter: 100, earlyStopping: false, holdout: 0 }, features, seed: 1 }),
  );

  it('score a batch exactly as one thread does, on two threads or three, from a table or encoded columns', () => {
    expect(rows * classifier.artifact.training.iterations).toBeGreaterThanOrEqual(MIN_WALKS_FOR_THREADS);
    const fresh = data(rows, 9);
    const inputs = classifier.preprocessor.transform(fresh);
    for (const model of [classifier, regressor]) {
      const one = model.predictTable(fresh);
      for (const threads of [2, 3]) {
        expect(model.predictTable(fresh, { threads })).toEqual(one);
        expect(model.predictColumns(inputs, rows, { threads })).toEqual(one);
      }
    }
  });

  it('really take part, and are not started for a batch too small to gain from them', () => {
    const model = classifier.artifact.model;
    if (model.kind !== 'gbdt') throw new Error('expected a gbdt model');
    const forest = flattenForest(model.trees, model.baseline);
    const threads = ForestThreads.open(forest, 2, features.length, rows, BATCH_BLOCK_ROWS)!;
    try {
      expect(threads.count).toBe(2);
      // The calling thread scores the first half of a block, the helper the second: each half
      // scores as one thread scores its inputs.
      const alone = (input: number): number => {
        const score = new Float64Array(1).fill(forest.baseline);
        forestColumns(
          forest,
          features.map(() => new Float64Array(1).fill(input)),
          score,
        );
        return score[0];
      };
      threads.columns.forEach((c) => c.fill(-3, 0, BATCH_BLOCK_ROWS / 2).fill(3, BATCH_BLOCK_ROWS / 2));
      const scores = new Float64Array(BATCH_BLOCK_ROWS);
      threads.score(BATCH_BLOCK_ROWS, scores);
      expect(alone(-3)).not.toBe(alone(3));
      expect(new Set(scores.subarray(0, BATCH_BLOCK_ROWS / 2))).toEqual(new Set([alone(-3)]));
      expect(new Set(scores.subarray(BATCH_BLOCK_ROWS / 2))).toEqual(new Set([alone(3)]));
    } finally {
      threads.close();
    }
    expect(ForestThreads.open(forest, 2, features.length, 100, BATCH_BLOCK_ROWS)).toBeNull();
    expect(ForestThreads.open(forest, 1, features.length, rows, BATCH_BLOCK_ROWS)).toBeNull();
  });

  it('refuse a thread count that is not a positive integer', () => {
    const fresh = data(10, 1);
    for (const threads of [0, -1, 1.5, Number.NaN])
      expect(() => regressor.predictTable(fresh, { threads })).toThrow(`threads must be a positive integer, got ${threads}`);
  });
});
