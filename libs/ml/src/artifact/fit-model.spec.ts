import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignatureError } from '../preprocessing/signature';
import { parseCsv } from '../table/csv';
import { categoricalColumn, makeTable, numericColumn } from '../table/table';
import { evaluateModel } from './evaluate';
import { fitModel } from './fit-model';
import { type ModelArtifact } from './format';
import { BATCH_BLOCK_ROWS, type BatchPrediction, loadModel } from './loaded-model';
import { mixedTable } from './testing/mixed-table';
import { walkTrees } from './testing/walk-trees';

const fixtures = join(__dirname, '../../fixtures');
const now = new Date('2024-05-01T12:00:00Z');

const table = mixedTable(600, 1);
const features = ['a', 'b', 'colour'];

describe('fitModel', () => {
  it('builds a complete artifact for a binary logistic regression', () => {
    const progress: number[] = [];
    const art = fitModel({
      table,
      label: 'yes',
      algo: 'logreg',
      params: { C: '0.5' },
      seed: 7,
      features,
      now,
      onProgress: (p) => progress.push(p.iteration),
    });
    expect(art).toMatchObject({
      formatVersion: 1,
      algorithm: 'logreg',
      task: 'binary',
      label: { name: 'yes', classes: ['no', 'yes'] },
      seed: 7,
      createdAt: now.toISOString(),
    });
    expect(art.parameters).toMatchObject({ C: 0.5, holdout: 0.2, impute: 'mean' });
    expect(art.training).toMatchObject({ rows: 600, trainRows: 480, validationRows: 120, stop: 'gradient' });
    expect(art.training.inputNames).toEqual(['a', 'b', 'colour=blue', 'colour=green', 'colour=red', 'colour=<unknown>']);
    expect(art.signature.features.map((f) => f.name)).toEqual(features);
    expect(Object.keys(art.metrics.validation ?? {})).toEqual(['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss', 'brier']);
    expect(art.metrics.validation?.rocAuc).toBeGreaterThan(0.75);
    const profile = art.profile;
    expect(profile.rows).toBe(480);
    expect(profile.features.map((f) => [f.name, f.type])).toEqual([
      ['a', 'numeric'],
      ['b', 'numeric'],
      ['colour', 'categorical'],
    ]);
    expect(progress.length).toBeGreaterThan(0);
  });

  it('fits a multinomial model, a ridge regression and both kinds of boosted trees', () => {
    const multi = fitModel({ table, label: 'kind', algo: 'logreg', seed: 1, features, now });
    expect(multi.task).toBe('multiclass');
    expect(multi.label.classes).toEqual(['high', 'low', 'mid']);
    expect(multi.metrics.validation?.accuracy).toBeGreaterThan(0.7);
    expect(Object.keys(multi.metrics.validation ?? {})).toContain('f1_macro');

    const ridge = fitModel({ table, label: 'amount', algo: 'linear', params: { alpha: 1 }, seed: 1, features, now });
    expect(ridge.task).toBe('regression');
    // Missing colours are imputed with the most frequent one, so a little of the signal is lost.
    expect(ridge.metrics.validation?.r2).toBeGreaterThan(0.95);

    const rounds: number[] = [];
    const trees = fitModel({
      table,
      label: 'yes',
      algo: 'gbdt',
      params: { max_iter: 25, learning_rate: '0.2' },
      seed: 1,
      features,
      now,
      onProgress: (p) => rounds.push(p.iteration),
    });
    expect(trees.task).toBe('binary');
    expect(rounds).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(trees.training.stop).toBe('max-iter');
    expect(trees.metrics.validation?.rocAuc).toBeGreaterThan(0.7);

    const boostedRegression = fitModel({ table, label: 'amount', algo: 'gbdt', seed: 1, features, now });
    expect(boostedRegression.task).toBe('regression');
    expect(boostedRegression.metrics.validation?.r2).toBeGreaterThan(0.9);
  });

  it('is deterministic under a seed', () => {
    const a = fitModel({ table, label: 'yes', algo: 'gbdt', params: { maxIter: 10, earlyStopping: true }, seed: 5, features, now });
    const b = fitModel({ table, label: 'yes', algo: 'gbdt', params: { maxIter: 10, earlyStopping: true }, seed: 5, features, now });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const c = fitModel({ table, label: 'yes', algo: 'gbdt', params: { maxIter: 10, earlyStopping: true }, seed: 6, features, now });
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('names what is wrong with the request', () => {
    expect(() => fitModel({ table, label: 'nope', algo: 'logreg' })).toThrow('column "nope" not found');
    expect(() => fitModel({ table, label: 'yes', algo: 'logreg', params: { C: 'x' } })).toThrow(
      'parameter "C": expected a number > 0, got "x"',
    );
    expect(() => fitModel({ table, label: 'yes', algo: 'gbdt', params: { depth: 3 } })).toThrow('unknown parameter "depth" for gbdt');
    expect(() => fitModel({ table, label: 'kind', algo: 'gbdt', features })).toThrow('gbdt classifies two classes; label "kind" has 3');
    expect(() => fitModel({ table, label: 'yes', algo: 'linear', features })).toThrow('label "yes" must be numeric for linear regression');
    const gap = makeTable([numericColumn('x', [1, 2, 3, 4]), numericColumn('y', [1, Number.NaN, 0, 1])]);
    expect(() => fitModel({ table: gap, label: 'y', algo: 'logreg' })).toThrow('label "y" is missing in row 2');
  });
});

describe('loadModel', () => {
  const artifacts: [string, ModelArtifact][] = [
    ['logreg binary', fitModel({ table, label: 'yes', algo: 'logreg', seed: 2, features, now })],
    ['logreg multiclass', fitModel({ table, label: 'kind', algo: 'logreg', seed: 2, features, now })],
    ['linear', fitModel({ table, label: 'amount', algo: 'linear', seed: 2, features, now })],
    ['gbdt binary', fitModel({ table, label: 'yes', algo: 'gbdt', params: { maxIter: 20 }, seed: 2, features, now })],
    ['gbdt regression', fitModel({ table, label: 'amount', algo: 'gbdt', params: { maxIter: 20 }, seed: 2, features, now })],
    ['random_forest binary', fitModel({ table, label: 'yes', algo: 'random_forest', params: { nEstimators: 20 }, seed: 2, features, now })],
    [
      'random_forest regression',
      fitModel({ table, label: 'amount', algo: 'random_forest', params: { nEstimators: 20 }, seed: 2, features, now }),
    ],
  ];
  const fresh = mixedTable(50, 99);

  it.each(artifacts)('%s: survives JSON, and row predictions equal batch predictions', (_name, art) => {
    const model = loadModel(JSON.stringify(art));
    expect(model.artifact).toEqual(JSON.parse(JSON.stringify(art)));
    const batch = model.predictTable(fresh);
    const cols = features.map((f) => fresh.columns.find((c) => c.name === f));
    for (let i = 0; i < fresh.nRows; i++) {
      const row: Record<string, number | string | null> = {};
      cols.forEach((c) => {
        if (!c) return;
        if (c.type === 'numeric') row[c.name] = Number.isNaN(c.values[i]) ? null : c.values[i];
        else row[c.name] = c.codes[i] < 0 ? null : c.dictionary[c.codes[i]];
      });
      const one = model.predictRow(row);
      if (batch.task === 'regression') {
        expect(Math.abs((one.prediction as number) - batch.values[i])).toBeLessThan(1e-9);
      } else {
        expect(one.prediction).toBe(batch.classes[batch.classIndex[i]]);
        batch.probabilities.forEach((p, k) => expect(Math.abs((one.probabilities as Float64Array)[k] - p[i])).toBeLessThan(1e-12));
        expect(one.probability).toBe(Math.max(...(one.probabilities as Float64Array)));
      }
    }
  });

  it.each(artifacts)('%s: scores a table of several blocks as its encoded columns', (_name, art) => {
    const model = loadModel(art);
    // Two whole blocks and a partial one, with missing values and categories in every block.
    const big = mixedTable(2 * BATCH_BLOCK_ROWS + 123, 5);
    const batch = model.predictTable(big);
    const whole = model.predictColumns(model.preprocessor.transform(big), big.nRows);
    if (art.model.kind === 'gbdt' || art.model.kind === 'random_forest') {
      expect(batch).toEqual(whole);
      return;
    }
    // A linear model folds the scaling into its weights ((w / scale) · (v − center)), which
    // rounds differently from weighting the scaled value: equal to a few units in the last place.
    const scores = (p: BatchPrediction) => (p.task === 'regression' ? [p.values] : p.probabilities);
    const expected = scores(whole);
    scores(batch).forEach((column, k) =>
      column.forEach((v, i) => expect(Math.abs(v - expected[k][i])).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(expected[k][i])))),
    );
    if (batch.task !== 'regression' && whole.task !== 'regression') expect(batch.classIndex).toEqual(whole.classIndex);
  });

  it('gbdt: scores every row of a batch as a walk down the serialized trees does, whichever side missing values take', () => {
    const art = artifacts[4][1];
    if (art.model.kind !== 'gbdt') throw new Error('expected a gbdt artifact');
    // Both sides for missing values and thresholds that send every value left, on inner nodes
    // throughout the trees, so every kind of turn is taken.
    let inner = 0;
    const trees = art.model.trees.map((t) => ({
      ...t,
      missingLeft: t.missingLeft.map((m, i) => (t.left[i] >= 0 && inner++ % 3 === 0 ? 1 - m : m)),
      threshold: t.threshold.map((v, i) => (t.left[i] >= 0 && i % 7 === 3 ? null : v)),
    }));
    const model = loadModel({ ...art, model: { ...art.model, trees } });
    const walk = (x: Float64Array): number => walkTrees(trees, x, art.model.kind === 'gbdt' ? art.model.baseline : 0);
    const big = mixedTable(BATCH_BLOCK_ROWS + 123, 11);
    const inputs = model.preprocessor.transform(big);
    const batch = model.predictTable(big);
    if (batch.task !== 'regression') throw new Error('expected regression');
    let missing = 0;
    for (let i = 0; i < big.nRows; i++) {
      const x = Float64Array.from(inputs, (column) => column[i]);
      missing += x.some(Number.isNaN) ? 1 : 0;
      expect(batch.values[i]).toBe(walk(x));
    }
    expect(missing).toBeGreaterThan(100);
  });

  it('evaluates labelled rows with the training metrics, naming bad labels', () => {
    const model = loadModel(artifacts[1][1]);
    const metrics = evaluateModel(model, fresh);
    expect(metrics.accuracy).toBeGreaterThan(0.6);
    expect(Object.keys(metrics)).toEqual(Object.keys(artifacts[1][1].metrics.train));
    const odd = makeTable([
      ...fresh.columns.filter((c) => c.name !== 'kind'),
      categoricalColumn(
        'kind',
        Array.from({ length: fresh.nRows }, (_, i) => (i === 3 ? 'extreme' : 'mid')),
      ),
    ]);
    expect(() => evaluateModel(model, odd)).toThrow('label "kind" in row 4 is "extreme", a class the model does not know (high, low, mid)');
  });

  it('scores a row into caller buffers and rejects rows that break the signature', () => {
    const model = loadModel(artifacts[0][1]);
    const probabilities = new Float64Array(2);
    const k = model.scoreRow({ a: 2, b: null, colour: 'purple' }, probabilities);
    expect(k).toBe(probabilities[1] > probabilities[0] ? 1 : 0);
    expect(probabilities[0] + probabilities[1]).toBeCloseTo(1, 12);
    expect(() => model.predictRow({ a: 1, colour: 'red' })).toThrow(SignatureError);
    expect(() => model.predictRow({ a: 'x', b: 1, colour: 'red' })).toThrow('field "a" must be a number or null, got string');
  });

  it('rejects artifacts that are malformed, naming the place', () => {
    const art = JSON.parse(JSON.stringify(artifacts[3][1]));
    expect(() => loadModel('{nope')).toThrow('model artifact is not valid JSON');
    expect(() => loadModel({ ...art, formatVersion: 2 })).toThrow('formatVersion: unsupported version 2');
    expect(() => loadModel({ ...art, algorithm: 'eval' })).toThrow('algorithm: must be one of logreg, linear, gbdt, random_forest');
    const cyclic = JSON.parse(JSON.stringify(art));
    cyclic.model.trees[0].left[0] = 0;
    expect(() => loadModel(cyclic)).toThrow('model.trees[0].left[0]: must point past node 0');
    const outOfRange = JSON.parse(JSON.stringify(art));
    outOfRange.model.trees[1].feature[0] = 99;
    expect(() => loadModel(outOfRange)).toThrow('model.trees[1].feature[0]: must be an integer in -1..2');
    const badValue = JSON.parse(JSON.stringify(artifacts[2][1]));
    badValue.model.coef[0] = '1+1';
    expect(() => loadModel(badValue)).toThrow('model.coef[0]: must be a finite number');
    const shortCoef = JSON.parse(JSON.stringify(artifacts[2][1]));
    shortCoef.model.coef.pop();
    expect(() => loadModel(shortCoef)).toThrow('model.coef: must have 6 entries, has 5');
    const wrongProfile = JSON.parse(JSON.stringify(art));
    wrongProfile.profile.features.reverse();
    expect(() => loadModel(wrongProfile)).toThrow('profile.features[0]: must profile numeric feature "a"');
    const skew = JSON.parse(JSON.stringify(artifacts[0][1]));
    skew.signature.features[2].categories = ['red'];
    expect(() => loadModel(skew)).toThrow('signature.features[2].categories');
  });
});

describe('fitModel on the fixture data', () => {
  it("reproduces sklearn's boosted classifier through the whole pipeline", () => {
    const reference = JSON.parse(readFileSync(join(fixtures, 'models-gbdt.json'), 'utf8')).classification[0];
    const train = parseCsv(readFileSync(join(fixtures, 'models-gbdt-classification-train.csv')));
    const test = parseCsv(readFileSync(join(fixtures, 'models-gbdt-classification-test.csv')));
    const p = reference.params;
    const art = fitModel({
      table: train,
      label: 'y',
      algo: 'gbdt',
      params: {
        holdout: 0,
        learning_rate: p.learning_rate,
        max_iter: p.max_iter,
        max_leaf_nodes: p.max_leaf_nodes,
        min_samples_leaf: p.min_samples_leaf,
        l2_regularization: p.l2_regularization,
        max_bins: p.max_bins,
        early_stopping: false,
      },
      now,
    });
    expect(art.metrics.validation).toBeNull();
    const model = loadModel(JSON.stringify(art));
    const metrics = evaluateModel(model, test);
    expect(Math.abs(metrics.accuracy - reference.accuracy)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(metrics.rocAuc - reference.rocAuc)).toBeLessThanOrEqual(0.01);
    const out = model.predictTable(test);
    if (out.task === 'regression') throw new Error('classifier expected');
    const y = test.columns.find((c) => c.name === 'y');
    if (!y || y.type !== 'numeric') throw new Error('numeric label expected');
    let hits = 0;
    for (let i = 0; i < test.nRows; i++) if (out.classes[out.classIndex[i]] === y.values[i]) hits++;
    expect(Math.abs(hits / test.nRows - reference.accuracy)).toBeLessThanOrEqual(0.01);
  });
});
