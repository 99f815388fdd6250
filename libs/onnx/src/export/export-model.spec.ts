import {
  type Algorithm,
  type BatchPrediction,
  type ModelArtifact,
  Rng,
  type Table,
  categoricalColumn,
  fitModel,
  loadModel,
  makeTable,
  numericColumn,
} from '@flywheel/ml';
import { ModelProto } from '../generated/onnx-ml';
import { OnnxRuntime } from '../runtime/onnx-runtime';
import { type TensorData } from '../runtime/onnx-runtime.types';
import { EXPORT_OUTPUTS, exportedFeeds, exportModel } from './export-model';

/**
 * Rows with everything the preprocessing handles: a numeric feature with gaps, a categorical one
 * with missing values, and (in the scored rows) a category training never saw.
 */
function table(n: number, seed: number, colours: readonly string[]): Table {
  const rng = new Rng(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const colour: (string | null)[] = [];
  const yes: string[] = [];
  const kind: string[] = [];
  const amount = new Float64Array(n);
  const grade = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = rng.normal();
    b[i] = rng.next() < 0.1 ? Number.NaN : rng.normal() * 3 + 1;
    const c = colours[rng.nextInt(colours.length)];
    colour.push(rng.next() < 0.05 ? null : c);
    const z = 1.5 * a[i] + (c === 'red' ? 1 : -0.5) + (Number.isNaN(b[i]) ? 0 : 0.3 * b[i]);
    yes.push(rng.next() < 1 / (1 + Math.exp(-z)) ? 'yes' : 'no');
    kind.push(z > 1 ? 'high' : z > -0.5 ? 'mid' : 'low');
    grade[i] = z > 0.5 ? 1 : 0;
    amount[i] = 2 * a[i] + (c === 'green' ? 3 : 0) + rng.normal() * 0.1;
  }
  return makeTable([
    numericColumn('a', a),
    numericColumn('b', b),
    categoricalColumn('colour', colour),
    categoricalColumn('yes', yes),
    categoricalColumn('kind', kind),
    numericColumn('grade', grade),
    numericColumn('amount', amount),
  ]);
}

const training = table(600, 11, ['red', 'green', 'blue']);
const scored = table(300, 12, ['red', 'green', 'blue', 'purple']);
const features = ['a', 'b', 'colour'];
const now = new Date('2026-01-01T00:00:00Z');

type Outputs = Readonly<Record<string, TensorData>>;

const runtime = new OnnxRuntime();
afterAll(() => runtime.close());

async function runExported(artifact: ModelArtifact): Promise<Outputs> {
  const session = await runtime.load(exportModel(artifact, { modelName: 'churn', version: 3 }));
  try {
    return await runtime.run(session, exportedFeeds(artifact, scored));
  } finally {
    await runtime.release(session);
  }
}

/** Largest difference relative to the value's size (at least 1), as the 1e-5 bound is stated. */
function worstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  }
  return worst;
}

function expectSamePredictions(native: BatchPrediction, exported: Outputs): void {
  if (native.task === 'regression') {
    const values = exported[EXPORT_OUTPUTS.value];
    expect(values.dims).toEqual([scored.nRows, 1]);
    expect(worstDifference(values.data as Float64Array, native.values)).toBeLessThan(1e-5);
    return;
  }
  const probabilities = exported[EXPORT_OUTPUTS.probabilities];
  const k = native.classes.length;
  expect(probabilities.dims).toEqual([scored.nRows, k]);
  const expected = new Float64Array(scored.nRows * k);
  for (let i = 0; i < scored.nRows; i++) for (let c = 0; c < k; c++) expected[i * k + c] = native.probabilities[c][i];
  expect(worstDifference(probabilities.data as Float64Array, expected)).toBeLessThan(1e-5);
  const labels = Array.from(exported[EXPORT_OUTPUTS.label].data as ArrayLike<number | bigint | string>, (v) =>
    typeof v === 'bigint' ? Number(v) : v,
  );
  expect(labels).toEqual(Array.from(native.classIndex, (c) => native.classes[c]));
}

const cases: { name: string; algo: Algorithm; label: string; params?: Record<string, string | number | boolean> }[] = [
  { name: 'logistic regression, binary, one-hot and mean imputation', algo: 'logreg', label: 'yes' },
  { name: 'logistic regression, three classes (softmax)', algo: 'logreg', label: 'kind', params: { impute: 'median' } },
  { name: 'logistic regression with integer classes', algo: 'logreg', label: 'grade', params: { scale: false } },
  { name: 'linear regression', algo: 'linear', label: 'amount', params: { impute: 'most_frequent' } },
  { name: 'gradient-boosted trees, binary (log-odds through a sigmoid)', algo: 'gbdt', label: 'yes', params: { max_iter: 30 } },
  { name: 'gradient-boosted trees, regression', algo: 'gbdt', label: 'amount', params: { max_iter: 30 } },
  { name: 'random forest, binary (mean leaf probability)', algo: 'random_forest', label: 'yes', params: { n_estimators: 12 } },
  { name: 'random forest, regression', algo: 'random_forest', label: 'amount', params: { n_estimators: 12, max_depth: 8 } },
];

describe('exportModel: onnxruntime reproduces every algorithm to 1e-5', () => {
  it.each(cases)('$name', async ({ algo, label, params }) => {
    const artifact = fitModel({ table: training, label, algo, params, features, seed: 5, now });
    const native = loadModel(artifact).predictTable(scored);
    expectSamePredictions(native, await runExported(artifact));
  });
});

describe('exportModel: the graph as other tools read it', () => {
  const artifact = fitModel({ table: training, label: 'yes', algo: 'gbdt', params: { max_iter: 5 }, features, seed: 5, now });
  const model = ModelProto.decode(exportModel(artifact, { modelName: 'churn', version: 3 }));

  it('imports ai.onnx.ml opset 3 and names one input per feature, typed as the feature', () => {
    expect(model.opsetImport).toEqual(expect.arrayContaining([{ domain: 'ai.onnx.ml', version: 3 }]));
    const inputs = model.graph?.input.map((v) => [v.name, v.type?.tensorType?.elemType]);
    expect(inputs).toEqual([
      ['a', 11],
      ['b', 11],
      ['colour', 8],
    ]);
    expect(model.graph?.output.map((v) => v.name)).toEqual(['label', 'probabilities']);
  });

  it('records the model, its label and its signature in the metadata', () => {
    const metadata = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(metadata).toMatchObject({ 'flywheel.model': 'churn', 'flywheel.task': 'binary', 'flywheel.label': 'yes' });
    expect(JSON.parse(metadata['flywheel.signature'] as string)).toEqual(artifact.signature);
    expect(model.modelVersion).toBe(3);
  });
});
