import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../table/csv';
import { categoricalColumn, makeTable, numericColumn } from '../table/table';
import { evaluateModel } from './evaluate';
import { fitModel } from './fit-model';
import { type ModelArtifact, type SerializedTree } from './format';
import { ArtifactLimitError, DEFAULT_ARTIFACT_LIMITS } from './limits';
import { CompactModel, compactModelFromBytes, loadModel, transferablesOf } from './loaded-model';
import { paramNames, resolveParams } from './params';
import { mixedTable } from './testing/mixed-table';
import { walkTrees } from './testing/walk-trees';

const fixtures = join(__dirname, '../../fixtures');
const reference = JSON.parse(readFileSync(join(fixtures, 'models-random-forest.json'), 'utf8'));
const now = new Date('2024-05-01T12:00:00Z');

const data = mixedTable(500, 3);
const features = ['a', 'b', 'colour'];
const classifier = fitModel({ table: data, label: 'yes', algo: 'random_forest', params: { n_estimators: 15 }, seed: 4, features, now });
const regressor = fitModel({ table: data, label: 'amount', algo: 'random_forest', params: { n_estimators: 15 }, seed: 4, features, now });

/** A mutable deep copy, as a crafted file would be parsed. */
function copy(artifact: ModelArtifact) {
  return JSON.parse(JSON.stringify(artifact));
}

function trees(artifact: ModelArtifact): readonly SerializedTree[] {
  if (artifact.model.kind !== 'random_forest') throw new Error('a random forest was fitted');
  return artifact.model.trees;
}

describe('random_forest artifacts', () => {
  it('record the resolved parameters, one iteration per tree and the task-dependent max_features', () => {
    expect(classifier).toMatchObject({ algorithm: 'random_forest', task: 'binary', label: { name: 'yes', classes: ['no', 'yes'] } });
    expect(classifier.parameters).toMatchObject({
      nEstimators: 15,
      maxDepth: null,
      minSamplesLeaf: 1,
      maxFeatures: 'sqrt',
      bootstrap: true,
    });
    expect(regressor.parameters).toMatchObject({ maxFeatures: 1 });
    expect(classifier.training).toMatchObject({ iterations: 15, trainRows: 400, validationRows: 100 });
    expect(classifier.training.stop).toBeUndefined();
    expect(trees(classifier)).toHaveLength(15);
    // Trees take raw values: categories ordinal, missing values kept.
    expect(classifier.training.inputNames).toEqual(features);
    expect(classifier.metrics.validation?.rocAuc).toBeGreaterThan(0.7);
    expect(regressor.metrics.validation?.r2).toBeGreaterThan(0.8);
  });

  it('predict the mean of the leaves their trees reach: the class-1 probability, or the value', () => {
    const fresh = mixedTable(300, 9);
    for (const artifact of [classifier, regressor]) {
      const model = loadModel(JSON.stringify(artifact));
      const inputs = model.preprocessor.transform(fresh);
      const batch = model.predictTable(fresh);
      let missing = 0;
      for (let i = 0; i < fresh.nRows; i++) {
        const x = Float64Array.from(inputs, (c) => c[i]);
        missing += x.some(Number.isNaN) ? 1 : 0;
        const expected = walkTrees(trees(artifact), x) / trees(artifact).length;
        if (batch.task === 'regression') expect(batch.values[i]).toBe(expected);
        else {
          expect(batch.probabilities[1][i]).toBe(expected);
          expect(batch.probabilities[0][i]).toBe(1 - expected);
          expect(batch.classIndex[i]).toBe(expected > 0.5 ? 1 : 0);
        }
      }
      expect(missing).toBeGreaterThan(20);
    }
  });

  it('score a row without allocating into the caller buffer, as the batch does', () => {
    const model = loadModel(classifier);
    const probabilities = new Float64Array(2);
    const row = { a: null, b: 0.3, colour: 'violet' };
    const k = model.scoreRow(row, probabilities);
    const one = makeTable([numericColumn('a', [Number.NaN]), numericColumn('b', [0.3]), categoricalColumn('colour', ['violet'])]);
    const batch = model.predictTable(one);
    if (batch.task === 'regression') throw new Error('classifier expected');
    expect([k, probabilities[0], probabilities[1]]).toEqual([batch.classIndex[0], batch.probabilities[0][0], batch.probabilities[1][0]]);
  });

  it('score a batch on several threads as on one', () => {
    const model = loadModel(fitModel({ table: data, label: 'amount', algo: 'random_forest', params: { n_estimators: 40 }, features, now }));
    const big = mixedTable(30_000, 5);
    expect(model.predictTable(big, { threads: 3 })).toEqual(model.predictTable(big));
  });

  it('cross threads as compact parts and predict the same', () => {
    for (const artifact of [classifier, regressor]) {
      const parts = compactModelFromBytes(new TextEncoder().encode(JSON.stringify(artifact)));
      expect(parts.kernel).toMatchObject({ kind: 'forest', output: 'mean', baseline: 0 });
      const model = new CompactModel(structuredClone(parts, { transfer: transferablesOf(parts) }));
      const whole = loadModel(artifact);
      for (const row of [
        { a: 1, b: -1, colour: 'red' },
        { a: null, b: 2, colour: null },
      ])
        expect(model.predictRow(row)).toEqual(whole.predictRow(row));
    }
  });

  it('are refused when hostile or malformed, naming the place', () => {
    const cases: [string, (a: ReturnType<typeof copy>) => void, string | RegExp][] = [
      ['a probability above 1', (a) => (a.model.trees[2].value[0] = 1.5), 'model.trees[2].value[0]: must be a probability in 0..1'],
      ['a negative probability', (a) => (a.model.trees[0].value[1] = -0.1), 'model.trees[0].value[1]: must be a probability in 0..1'],
      ['no trees', (a) => (a.model.trees = []), 'model.trees: a forest needs at least one tree'],
      ['trees that are no array', (a) => (a.model.trees = { 0: {} }), 'model.trees: must be an array'],
      ['another kind', (a) => (a.model.kind = 'gbdt'), 'model.kind: a random_forest model must be kind "random_forest"'],
      ['a forest passed as boosted trees', (a) => (a.algorithm = 'gbdt'), 'model.kind: a gbdt model must be kind "gbdt"'],
      ['a loop', (a) => (a.model.trees[1].right[0] = 0), 'model.trees[1].right[0]: must point past node 0'],
      ['a feature out of range', (a) => (a.model.trees[0].feature[0] = 3), 'model.trees[0].feature[0]: must be an integer in -1..2'],
      ['a value that is text', (a) => (a.model.trees[0].value[0] = '0.5'), 'model.trees[0].value[0]: must be a finite number'],
      ['a short array', (a) => a.model.trees[0].missingLeft.pop(), /model\.trees\[0\]\.missingLeft: must have \d+ entries/],
      [
        'three classes',
        (a) => {
          a.task = 'multiclass';
          a.label.classes = ['high', 'low', 'mid'];
        },
        'task: random_forest models are binary or regression',
      ],
    ];
    for (const [, spoil, message] of cases) {
      const bad = copy(classifier);
      spoil(bad);
      expect(() => loadModel(JSON.stringify(bad))).toThrow(message);
    }
    // A regression forest's leaves are values, not probabilities.
    const values = copy(regressor);
    values.model.trees[0].value[0] = 1e6;
    expect(() => loadModel(values)).not.toThrow();
  });

  it('are counted against the limits: trees and nodes', () => {
    const many = copy(classifier);
    many.model.trees = Array.from({ length: 4 }, () => many.model.trees[0]);
    const error = (() => {
      try {
        loadModel(many, { ...DEFAULT_ARTIFACT_LIMITS, maxTrees: 3 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ArtifactLimitError);
    expect((error as Error).message).toBe('model artifact over its limits: model.trees: trees 4, over the limit of 3 (maxTrees)');
    const nodes = trees(classifier)[0].feature.length + trees(classifier)[1].feature.length;
    expect(() => loadModel(classifier, { ...DEFAULT_ARTIFACT_LIMITS, maxTotalNodes: nodes - 1 })).toThrow(
      `model.trees[1]: nodes in all trees ${nodes}, over the limit of ${nodes - 1} (maxTotalNodes)`,
    );
  });
});

describe('fitModel with random_forest', () => {
  it('is deterministic under a seed', () => {
    const fit = (seed: number) =>
      fitModel({ table: data, label: 'yes', algo: 'random_forest', params: { n_estimators: 5 }, seed, features, now });
    expect(JSON.stringify(fit(8))).toBe(JSON.stringify(fit(8)));
    expect(JSON.stringify(fit(9))).not.toBe(JSON.stringify(fit(8)));
  });

  it('names what is wrong with the request', () => {
    expect(() => fitModel({ table: data, label: 'kind', algo: 'random_forest', features })).toThrow(
      'random_forest classifies two classes; label "kind" has 3',
    );
    expect(() => fitModel({ table: data, label: 'yes', algo: 'random_forest', params: { max_features: 4 }, features })).toThrow(
      'max_features 4 is more than the 3 model inputs',
    );
    expect(() => fitModel({ table: data, label: 'yes', algo: 'random_forest', params: { criterion: 'entropy' } })).toThrow(
      'unknown parameter "criterion" for random_forest',
    );
  });

  it('takes parameters as scikit-learn spells them, with its defaults', () => {
    expect(resolveParams('random_forest')).toMatchObject({
      nEstimators: 100,
      maxDepth: null,
      minSamplesLeaf: 1,
      maxFeatures: 'auto',
      bootstrap: true,
      task: 'auto',
    });
    const given = { n_estimators: '50', max_depth: '8', min_samples_leaf: 3, bootstrap: 'false' };
    expect(resolveParams('random_forest', given)).toMatchObject({ nEstimators: 50, maxDepth: 8, minSamplesLeaf: 3, bootstrap: false });
    const maxFeatures = (v: string | number | null) => resolveParams('random_forest', { max_features: v }).maxFeatures;
    expect(['sqrt', 'log2', 'none', null, '0.3', 1, '1.0', 5].map(maxFeatures)).toEqual(['sqrt', 'log2', null, null, 0.3, 1, 1, 5]);
    for (const bad of [0, -1, 1.5, 'all', '', DEFAULT_ARTIFACT_LIMITS.maxFeatures + 1])
      expect(() => maxFeatures(bad)).toThrow(
        `parameter "maxFeatures": expected auto, sqrt, log2, none (every feature), a fraction in (0, 1] or a whole number of features from 2 to ${DEFAULT_ARTIFACT_LIMITS.maxFeatures}, got ${JSON.stringify(bad)}`,
      );
    expect(() => resolveParams('random_forest', { n_estimators: DEFAULT_ARTIFACT_LIMITS.maxTrees + 1 })).toThrow('parameter "nEstimators"');
    expect(() => resolveParams('random_forest', { max_depth: DEFAULT_ARTIFACT_LIMITS.maxTreeDepth + 1 })).toThrow('parameter "maxDepth"');
    expect(paramNames('random_forest')).toEqual([
      'holdout',
      'task',
      'unknownCategories',
      'nEstimators',
      'maxDepth',
      'minSamplesLeaf',
      'maxFeatures',
      'bootstrap',
    ]);
  });
});

describe('fitModel with random_forest on the fixture data', () => {
  const load = (name: string) => parseCsv(readFileSync(join(fixtures, `models-random-forest-${name}.csv`)));
  const cases: [string, string, Record<string, number>][] = [
    ['classification', 'y', { accuracy: 0.02, rocAuc: 0.01 }],
    ['regression', 'target', { r2: 0.02 }],
  ];

  it.each(cases)(
    "%s lands within a forest's spread of sklearn's held-out quality through the whole pipeline",
    (task, label, tolerances) => {
      const run = reference[task].forests[1];
      const artifact = fitModel({ table: load(`${task}-train`), label, algo: 'random_forest', params: { holdout: 0, ...run.params }, now });
      const metrics = evaluateModel(loadModel(JSON.stringify(artifact)), load(`${task}-test`));
      for (const [metric, tolerance] of Object.entries(tolerances))
        expect(Math.abs(metrics[metric] - run[metric])).toBeLessThanOrEqual(tolerance);
    },
  );
});
