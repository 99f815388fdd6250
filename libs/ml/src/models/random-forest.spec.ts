import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SerializedTree } from '../artifact/format';
import { accuracy, r2Score, rocAuc } from '../metrics';
import { parseCsv } from '../table/csv';
import { flattenForest, forestColumns } from './forest';
import { type RandomForestOptions, fitRandomForest, resolveMaxFeatures } from './random-forest';

const fixtures = join(__dirname, '../../fixtures');
const reference = JSON.parse(readFileSync(join(fixtures, 'models-random-forest.json'), 'utf8'));

interface Data {
  readonly x: Float64Array[];
  readonly y: Float64Array;
}

function load(file: string): Data {
  const cols = parseCsv(readFileSync(join(fixtures, file))).columns.map((c) => {
    if (c.type !== 'numeric') throw new Error(`numeric column expected: ${c.name}`);
    return c.values;
  });
  return { x: cols.slice(0, -1), y: cols[cols.length - 1] };
}

interface SkParams {
  readonly n_estimators?: number;
  readonly max_depth?: number;
  readonly min_samples_leaf?: number;
  readonly max_features?: 'sqrt' | 'log2' | number;
  readonly bootstrap?: boolean;
}

interface ForestRun {
  readonly params: SkParams;
  readonly accuracy: number;
  readonly rocAuc: number;
  readonly r2: number;
}

interface TreeRun {
  readonly params: SkParams;
  readonly nodes: number;
  readonly depth: number;
  readonly predictions: number[];
}

/** sklearn's RandomForest* defaults, overridden by `p`. */
function options(p: SkParams, criterion: RandomForestOptions['criterion'], seed = 0): RandomForestOptions {
  return {
    criterion,
    nEstimators: p.n_estimators ?? 100,
    maxDepth: p.max_depth ?? 512,
    minSamplesLeaf: p.min_samples_leaf ?? 1,
    maxFeatures: p.max_features ?? (criterion === 'gini' ? 'sqrt' : 1),
    bootstrap: p.bootstrap ?? true,
    seed,
    maxNodesPerTree: 131_071,
    maxTotalNodes: 4_194_304,
  };
}

/** sklearn's DecisionTree*: one tree on every row and every feature. */
function singleTree(p: SkParams, criterion: RandomForestOptions['criterion']): RandomForestOptions {
  return { ...options(p, criterion), nEstimators: 1, bootstrap: false, maxFeatures: null };
}

/** The mean of the trees' leaf values per row, summed then divided as sklearn averages. */
function predict(trees: readonly SerializedTree[], x: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(x[0].length);
  forestColumns(flattenForest(trees, 0), x, out);
  return out.map((s) => s / trees.length);
}

/** Per tree: the training rows (of `x`) reaching each leaf, and the depth of each leaf. */
function leaves(tree: SerializedTree, x: readonly Float64Array[]): { rows: Map<number, number>; depths: number[] } {
  const rows = new Map<number, number>();
  for (let i = 0; i < x[0].length; i++) {
    let node = 0;
    while (tree.left[node] >= 0) node = x[tree.feature[node]][i] <= (tree.threshold[node] ?? Infinity) ? tree.left[node] : tree.right[node];
    rows.set(node, (rows.get(node) ?? 0) + 1);
  }
  const depth = new Array<number>(tree.feature.length).fill(0);
  const depths: number[] = [];
  for (let i = 0; i < tree.feature.length; i++) {
    if (tree.left[i] < 0) depths.push(depth[i]);
    else depth[tree.left[i]] = depth[tree.right[i]] = depth[i] + 1;
  }
  return { rows, depths };
}

const classification = {
  train: load('models-random-forest-classification-train.csv'),
  test: load('models-random-forest-classification-test.csv'),
};
const regression = { train: load('models-random-forest-regression-train.csv'), test: load('models-random-forest-regression-test.csv') };
const runs = <T>(list: T[]): [number, T][] => list.map((r, i) => [i, r]);

describe('random forest against scikit-learn 1.2', () => {
  // sklearn's numbers are means over 5 seeds; one forest of ours sits within a forest's spread of them.
  it.each(runs<ForestRun>(reference.classification.forests))('classifier, settings %s: held-out accuracy and ROC AUC', (_i, run) => {
    const { train, test } = classification;
    const fit = fitRandomForest(train.x, train.y, options(run.params, 'gini'));
    const p = predict(fit.trees, test.x);
    // Class 1 only when strictly more probable, as numpy's argmax.
    expect(
      Math.abs(
        accuracy(
          test.y,
          p.map((q) => (q > 0.5 ? 1 : 0)),
        ) - run.accuracy,
      ),
    ).toBeLessThanOrEqual(0.02);
    expect(Math.abs(rocAuc(test.y, p) - run.rocAuc)).toBeLessThanOrEqual(0.01);
  });

  it.each(runs<ForestRun>(reference.regression.forests))('regressor, settings %s: held-out R²', (_i, run) => {
    const { train, test } = regression;
    const fit = fitRandomForest(train.x, train.y, options(run.params, 'squared_error'));
    expect(Math.abs(r2Score(test.y, predict(fit.trees, test.x)) - run.r2)).toBeLessThanOrEqual(0.02);
  });

  // A tree on every row and feature is deterministic: the same splits as sklearn's DecisionTree*,
  // wherever no two splits tie (deep nodes of two rows tie across features, so these are bounded).
  const exact: [string, TreeRun, Data, Data, RandomForestOptions['criterion']][] = [
    ['classifier, max_depth 5, min_samples_leaf 8', reference.classification.trees[1], classification.train, classification.test, 'gini'],
    ['regressor, min_samples_leaf 5', reference.regression.trees[1], regression.train, regression.test, 'squared_error'],
    ['regressor, max_depth 4', reference.regression.trees[2], regression.train, regression.test, 'squared_error'],
    ...reference.classification.oneFeatureTrees.map((run: TreeRun, i: number) => [
      `classifier on one feature, settings ${i}`,
      run,
      { x: [classification.train.x[0]], y: classification.train.y },
      { x: [classification.test.x[0]], y: classification.test.y },
      'gini',
    ]),
  ];
  it.each(exact)('one tree without bootstrap equals DecisionTree: %s', (_name, run, train, test, criterion) => {
    const fit = fitRandomForest(train.x, train.y, singleTree(run.params, criterion));
    const tree = fit.trees[0];
    expect(tree.feature.length).toBe(run.nodes);
    expect(Math.max(...leaves(tree, train.x).depths)).toBe(run.depth);
    const p = predict(fit.trees, test.x);
    p.forEach((v, i) => expect(Math.abs(v - run.predictions[i])).toBeLessThan(1e-9));
  });
});

describe('random forest growth', () => {
  const { train } = regression;

  it('grows a tree without limits until each leaf holds one distinct row', () => {
    const fit = fitRandomForest(train.x, train.y, singleTree({}, 'squared_error'));
    const p = predict(fit.trees, train.x);
    p.forEach((v, i) => expect(v).toBe(train.y[i]));
    expect(fit.trees[0].feature.length).toBe(reference.regression.trees[0].nodes);
  });

  it('leaves at least min_samples_leaf rows in every leaf and grows no deeper than max_depth', () => {
    for (const [minSamplesLeaf, maxDepth] of [
      [7, 512],
      [1, 3],
      [3, 6],
    ]) {
      const fit = fitRandomForest(train.x, train.y, { ...singleTree({}, 'squared_error'), nEstimators: 3, minSamplesLeaf, maxDepth });
      for (const tree of fit.trees) {
        const { rows, depths } = leaves(tree, train.x);
        expect(Math.min(...rows.values())).toBeGreaterThanOrEqual(minSamplesLeaf);
        expect(rows.size).toBe(depths.length);
        expect(Math.max(...depths)).toBe(Math.min(maxDepth, Math.max(...depths)));
        if (maxDepth < 10) expect(Math.max(...depths)).toBe(maxDepth);
      }
    }
  });

  it('counts min_samples_leaf in distinct rows of the bootstrap sample, as sklearn', () => {
    const fit = fitRandomForest(train.x, train.y, { ...options({ n_estimators: 5, min_samples_leaf: 4 }, 'squared_error'), seed: 3 });
    for (const tree of fit.trees) {
      // Every leaf holds at least 4 in-bag rows, so at least 4 of all rows, and its value is their weighted mean.
      const { rows } = leaves(tree, train.x);
      expect(Math.min(...rows.values())).toBeGreaterThanOrEqual(4);
    }
  });

  it('grows the same forest from the same seed and another from another seed', () => {
    const fit = (seed: number) => fitRandomForest(train.x, train.y, options({ n_estimators: 5, max_depth: 6 }, 'squared_error', seed));
    expect(fit(11)).toEqual(fit(11));
    expect(fit(12).trees).not.toEqual(fit(11).trees);
    // Without bootstrap and with every feature only the order features are tried in is left to
    // chance, and it only breaks ties: the training rows land in the same leaves.
    const all = (seed: number) =>
      fitRandomForest(train.x, train.y, { ...singleTree({ max_depth: 6 }, 'squared_error'), nEstimators: 2, seed }).trees;
    const [a, b] = [all(1), all(2)];
    expect(predict([a[0]], train.x)).toEqual(predict([b[1]], train.x));
  });

  it('learns which side missing values take, and sends them to the larger child where none were seen', () => {
    const n = 400;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = i % 4 === 0 ? Number.NaN : i;
      y[i] = i % 4 === 0 ? 10 : i < 200 ? 0 : 1;
    }
    const fit = fitRandomForest([x], y, { ...singleTree({ max_depth: 2 }, 'squared_error') });
    expect(predict(fit.trees, [Float64Array.of(Number.NaN, 50, 300)])).toEqual(Float64Array.of(10, 0, 1));
    const dense = fitRandomForest(
      [Float64Array.from({ length: n }, (_, i) => i)],
      Float64Array.from({ length: n }, (_, i) => (i < 300 ? 0 : 1)),
      singleTree({ max_depth: 1 }, 'gini'),
    );
    const [root] = dense.trees;
    expect([root.threshold[0], root.missingLeft[0]]).toEqual([299.5, 1]);
    expect(predict(dense.trees, [Float64Array.of(Number.NaN)])).toEqual(Float64Array.of(0));
  });

  it('resolves max_features as sklearn and refuses counts above the features', () => {
    expect([resolveMaxFeatures('sqrt', 20), resolveMaxFeatures('log2', 20), resolveMaxFeatures(null, 20)]).toEqual([4, 4, 20]);
    expect([resolveMaxFeatures(1, 7), resolveMaxFeatures(0.5, 7), resolveMaxFeatures(0.01, 7), resolveMaxFeatures(3, 7)]).toEqual([
      7, 3, 1, 3,
    ]);
    expect(() => resolveMaxFeatures(8, 7)).toThrow('max_features 8 is more than the 7 model inputs');
  });

  it('refuses to grow a tree or a forest past what a model may hold, saying what to change', () => {
    expect(() => fitRandomForest(train.x, train.y, { ...singleTree({}, 'squared_error'), maxNodesPerTree: 1001 })).toThrow(
      'a tree grew past 1001 nodes, more than a model may hold; set max_depth or raise min_samples_leaf',
    );
    expect(() => fitRandomForest(train.x, train.y, { ...options({ n_estimators: 10 }, 'squared_error'), maxTotalNodes: 5000 })).toThrow(
      /^the forest grew past 5000 nodes after \d of 10 trees/,
    );
  });

  it('reports each tree as it is grown', () => {
    const seen: number[] = [];
    fitRandomForest(classification.train.x, classification.train.y, {
      ...options({ n_estimators: 4, max_depth: 3 }, 'gini'),
      onProgress: (p) => {
        expect(p).toMatchObject({ algorithm: 'random_forest', maxIterations: 4 });
        expect(p.trainLoss).toBeGreaterThan(0);
        expect(p.trainLoss).toBeLessThan(0.5);
        seen.push(p.iteration);
      },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});
