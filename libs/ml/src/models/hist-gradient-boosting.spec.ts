import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accuracy, rocAuc, rootMeanSquaredError } from '../metrics';
import { Rng } from '../random/rng';
import { parseCsv } from '../table/csv';
import { type GbdtFit, addGbdtRaw, fitGbdt, gbdtRawRow, shouldStop } from './hist-gradient-boosting';
import { sigmoid } from './logistic-regression';

const fixtures = join(__dirname, '../../fixtures');
const reference = JSON.parse(readFileSync(join(fixtures, 'models-gbdt.json'), 'utf8'));

function load(file: string): { x: Float64Array[]; y: Float64Array } {
  const cols = parseCsv(readFileSync(join(fixtures, file))).columns.map((c) => {
    if (c.type !== 'numeric') throw new Error(`numeric column expected: ${c.name}`);
    return c.values;
  });
  return { x: cols.slice(0, -1), y: cols[cols.length - 1] };
}

interface SkParams {
  learning_rate: number;
  max_iter: number;
  max_leaf_nodes: number | null;
  max_depth?: number;
  min_samples_leaf: number;
  l2_regularization: number;
  max_bins: number;
}

const options = (p: SkParams): Parameters<typeof fitGbdt>[2] extends infer O ? Omit<O & object, 'loss'> : never => ({
  learningRate: p.learning_rate,
  maxIter: p.max_iter,
  maxLeafNodes: p.max_leaf_nodes,
  maxDepth: p.max_depth ?? null,
  minSamplesLeaf: p.min_samples_leaf,
  l2Regularization: p.l2_regularization,
  maxBins: p.max_bins,
  earlyStopping: false,
});

function raw(fit: GbdtFit, x: Float64Array[], n: number): Float64Array {
  const out = new Float64Array(n).fill(fit.model.baseline);
  addGbdtRaw(fit.model, x, out);
  return out;
}

describe('histogram gradient boosting against scikit-learn 1.2', () => {
  const train = load('models-gbdt-classification-train.csv');
  const test = load('models-gbdt-classification-test.csv');

  const classifierRuns: [number, { params: SkParams; accuracy: number; rocAuc: number; nIter: number }][] = reference.classification.map(
    (r: unknown, i: number) => [i, r],
  );
  it.each(classifierRuns)('classifier, settings %s: test accuracy and ROC AUC within 0.01', (_i, run) => {
    const { params, accuracy: skAccuracy, rocAuc: skAuc, nIter } = run;
    const fit = fitGbdt(train.x, train.y, { loss: 'log_loss', ...options(params) });
    expect(fit.nIter).toBe(nIter);
    const scores = raw(fit, test.x, test.y.length);
    const predicted = Float64Array.from(scores, (z) => (sigmoid(z) > 0.5 ? 1 : 0));
    expect(Math.abs(accuracy(test.y, predicted) - skAccuracy)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(rocAuc(test.y, scores) - skAuc)).toBeLessThanOrEqual(0.01);
  });

  const rTrain = load('models-gbdt-regression-train.csv');
  const rTest = load('models-gbdt-regression-test.csv');
  const regressorRuns: [number, { params: SkParams; rmse: number }][] = reference.regression.map((r: unknown, i: number) => [i, r]);
  it.each(regressorRuns)('regressor, settings %s: test RMSE within 2%%', (_i, run) => {
    const { params, rmse } = run;
    const fit = fitGbdt(rTrain.x, rTrain.y, { loss: 'squared_error', ...options(params) });
    const ours = rootMeanSquaredError(rTest.y, raw(fit, rTest.x, rTest.y.length));
    expect(Math.abs(ours - rmse) / rmse).toBeLessThanOrEqual(0.02);
  });

  it('stops early on a validation split when the loss stops improving', () => {
    const p = reference.earlyStopping.params;
    const fit = fitGbdt(train.x, train.y, {
      loss: 'log_loss',
      learningRate: p.learning_rate,
      maxIter: p.max_iter,
      nIterNoChange: p.n_iter_no_change,
      validationFraction: p.validation_fraction,
      tol: p.tol,
      earlyStopping: true,
      seed: 3,
    });
    // sklearn stopped after a few dozen rounds at most; the split differs, so only the behaviour is compared.
    expect(reference.earlyStopping.nIter).toBeLessThan(p.max_iter);
    expect(fit.nIter).toBeLessThan(p.max_iter / 5);
    expect(fit.validationLoss).toHaveLength(fit.nIter + 1);
    expect(
      shouldStop(
        fit.validationLoss.map((l) => -l),
        p.n_iter_no_change,
        p.tol,
      ),
    ).toBe(true);
    expect(
      shouldStop(
        fit.validationLoss.slice(0, -1).map((l) => -l),
        p.n_iter_no_change,
        p.tol,
      ),
    ).toBe(false);
  });
});

describe('fitGbdt', () => {
  it('routes missing values to the side that fits them', () => {
    // The label is 1 exactly where x0 is missing; x1 is noise.
    const rng = new Rng(4);
    const n = 600;
    const y = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const x0 = Float64Array.from(y, (v) => (v === 1 ? Number.NaN : rng.normal()));
    const x1 = Float64Array.from({ length: n }, () => rng.normal());
    const fit = fitGbdt([x0, x1], y, { loss: 'log_loss', maxIter: 20, earlyStopping: false });
    expect(sigmoid(gbdtRawRow(fit.model, Float64Array.from([Number.NaN, 0])))).toBeGreaterThan(0.9);
    expect(sigmoid(gbdtRawRow(fit.model, Float64Array.from([0.3, 0])))).toBeLessThan(0.1);
  });

  it('sends missing values of a feature that had none in training to the larger child', () => {
    // One split on x at 2.5 with four rows left and two right: NaN follows the left side.
    const x = Float64Array.from([0, 1, 2, 2.4, 3, 4]);
    const y = Float64Array.from([0, 0, 0, 0, 10, 10]);
    const fit = fitGbdt([x], y, {
      loss: 'squared_error',
      maxIter: 1,
      minSamplesLeaf: 1,
      maxLeafNodes: 2,
      learningRate: 1,
      earlyStopping: false,
    });
    const tree = fit.model.trees[0];
    expect(Array.from(tree.feature)).toEqual([0, -1, -1]);
    expect(tree.threshold[0]).toBe(2.7); // midpoint of the distinct values 2.4 and 3
    // Gradients are float32, as sklearn's, so leaf values carry float32 rounding.
    expect(gbdtRawRow(fit.model, Float64Array.from([Number.NaN]))).toBeCloseTo(0, 6);
    expect(gbdtRawRow(fit.model, Float64Array.from([3.5]))).toBeCloseTo(10, 6);
  });

  it('is deterministic under a seed and reports progress per round', () => {
    const { x, y } = load('models-gbdt-regression-train.csv');
    const rounds: number[] = [];
    const a = fitGbdt(x, y, {
      loss: 'squared_error',
      maxIter: 30,
      earlyStopping: true,
      seed: 9,
      onProgress: (p) => rounds.push(p.iteration),
    });
    const b = fitGbdt(x, y, { loss: 'squared_error', maxIter: 30, earlyStopping: true, seed: 9 });
    expect(a.model).toEqual(b.model);
    expect(rounds).toEqual(Array.from({ length: a.nIter }, (_, i) => i + 1));
    expect(a.trainLoss[a.trainLoss.length - 1]).toBeLessThan(a.trainLoss[0]);
  });

  it('honours max depth, max leaf nodes and min samples per leaf', () => {
    const { x, y } = load('models-gbdt-regression-train.csv');
    const fit = fitGbdt(x, y, {
      loss: 'squared_error',
      maxIter: 5,
      maxDepth: 2,
      maxLeafNodes: null,
      minSamplesLeaf: 50,
      earlyStopping: false,
    });
    for (const tree of fit.model.trees) {
      const depth = new Int32Array(tree.feature.length);
      for (let i = 0; i < tree.feature.length; i++) {
        if (tree.feature[i] < 0) continue;
        depth[tree.left[i]] = depth[i] + 1;
        depth[tree.right[i]] = depth[i] + 1;
      }
      expect(Math.max(...depth)).toBeLessThanOrEqual(2);
    }
    const small = fitGbdt(x, y, { loss: 'squared_error', maxIter: 3, maxLeafNodes: 5, earlyStopping: false });
    for (const tree of small.model.trees) expect(tree.feature.filter((f) => f < 0).length).toBeLessThanOrEqual(5);
  });

  it('rejects bad settings and labels', () => {
    const x = [Float64Array.from([1, 2, 3])];
    expect(() => fitGbdt(x, Float64Array.from([0, 1, 2]), { loss: 'log_loss' })).toThrow('log_loss needs labels 0/1, row 3 has 2');
    expect(() => fitGbdt(x, Float64Array.from([0, 1, 1]), { loss: 'log_loss', maxBins: 300 })).toThrow(
      'maxBins must be an integer in 2..255',
    );
  });
});
