import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type InputRow, parseCsv } from '@flywheel/ml';
import { ModelProto } from '../generated/onnx-ml';
import { OnnxModel } from '../runtime/onnx-model';
import { OnnxRuntime } from '../runtime/onnx-runtime';
import { DESCRIPTION_METADATA_KEY, inspectOnnx, OnnxImportError } from './inspect-onnx';

// Graphs laid out as skl2onnx and onnxmltools write them, and what scikit-learn and XGBoost
// predict for their rows: made by fixtures/generate-onnx-fixtures.py.
const fixtures = join(__dirname, '../../fixtures');

interface Fixture {
  readonly producer: string;
  readonly features: string[];
  readonly task: 'binary' | 'regression';
  readonly classes?: (number | string)[];
  readonly rows: (number | null)[][];
  readonly expected: { readonly probabilities?: number[][]; readonly values?: number[]; readonly labels?: (number | string)[] };
}

function graph(name: string): Buffer {
  return readFileSync(join(fixtures, `${name}.onnx`));
}

function fixture(name: string): { readonly bytes: Buffer; readonly reference: Fixture } {
  return { bytes: graph(name), reference: JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')) as Fixture };
}

const runtime = new OnnxRuntime();
afterAll(() => runtime.close());

const imports = [
  { name: 'random-forest-classifier', features: ['f0', 'f1', 'f2', 'f3'] },
  { name: 'logistic-regression-scaled', features: undefined },
  { name: 'gradient-boosting-regressor', features: ['f0', 'f1', 'f2', 'f3', 'f4'] },
  { name: 'xgboost-classifier', features: ['f0', 'f1', 'f2', 'f3'] },
];

describe('importing graphs as the converters write them', () => {
  it.each(imports)('$name answers what the Python library predicts, to 1e-5, row by row and as a table', async ({ name, features }) => {
    const { bytes, reference } = fixture(name);
    const model = await OnnxModel.load(runtime, bytes, { features });
    try {
      const names = features ?? reference.features;
      expect(model.signature.features.map((f) => f.name)).toEqual(names);
      expect(model.task).toBe(reference.task);
      if (reference.classes) expect(model.classes).toEqual(reference.classes);

      const rows: InputRow[] = reference.rows.map((r) => Object.fromEntries(names.map((f, j) => [f, r[j]])));
      const csv = [names.join(','), ...reference.rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n');
      const batch = await model.predictTable(parseCsv(csv));
      for (let i = 0; i < rows.length; i++) {
        const one = await model.predictRow(rows[i]);
        if (reference.task === 'regression') {
          const expected = reference.expected.values![i];
          const tolerance = 1e-5 * Math.max(1, Math.abs(expected));
          expect(Math.abs((one.prediction as number) - expected)).toBeLessThan(tolerance);
          expect(batch.task === 'regression' && Math.abs(batch.values[i] - expected)).toBeLessThan(tolerance);
          continue;
        }
        const expected = reference.expected.probabilities![i];
        expected.forEach((p, c) => {
          expect(Math.abs(one.probabilities![c] - p)).toBeLessThan(1e-5);
          expect(batch.task !== 'regression' && Math.abs(batch.probabilities[c][i] - p)).toBeLessThan(1e-5);
        });
        expect(one.prediction).toEqual(reference.expected.labels![i]);
      }
    } finally {
      await model.release();
    }
  });

  it('removes the ZipMap and serves the probability tensor before it, with the classes it declared', () => {
    const { bytes } = fixture('logistic-regression-scaled');
    const original = ModelProto.decode(bytes);
    expect(original.graph!.node.map((n) => n.opType)).toContain('ZipMap');
    const { description, bytes: served } = inspectOnnx(bytes);
    const graph = ModelProto.decode(served).graph!;
    expect(graph.node.map((n) => n.opType)).not.toContain('ZipMap');
    expect(description).toMatchObject({
      task: 'binary',
      classes: ['churn', 'stay'],
      outputs: { probabilities: 'probabilities', label: 'output_label' },
      producer: 'skl2onnx',
    });
    expect(graph.output.map((o) => o.name)).toEqual(['output_label', 'probabilities']);
  });

  it('stores its description in the graph, so the stored file serves without the import options', async () => {
    const { bytes, reference } = fixture('xgboost-classifier');
    const first = inspectOnnx(bytes, { features: ['f0', 'f1', 'f2', 'f3'] });
    const metadata = ModelProto.decode(first.bytes).metadataProps.find((p) => p.key === DESCRIPTION_METADATA_KEY);
    expect(JSON.parse(metadata!.value!)).toEqual(first.description);
    const again = inspectOnnx(first.bytes);
    expect(again.description).toEqual(first.description);
    expect(reference.classes).toEqual(again.description.classes);
  });

  it('reads a brought graph afresh on import, whatever description it claims', () => {
    const { bytes } = fixture('logistic-regression-scaled');
    const model = ModelProto.decode(inspectOnnx(bytes).bytes);
    const forged = { ...JSON.parse(model.metadataProps.find((p) => p.key === DESCRIPTION_METADATA_KEY)!.value!), task: 'regression' };
    const claimed = ModelProto.encode({
      ...model,
      metadataProps: [{ key: DESCRIPTION_METADATA_KEY, value: JSON.stringify(forged) }],
    }).finish();
    expect(inspectOnnx(claimed).description.task).toBe('regression');
    expect(inspectOnnx(claimed, { reinspect: true }).description.task).toBe('binary');
  });
});

describe('graphs refused at import, each with its reason', () => {
  const refusals: [string, Uint8Array, { features?: string[]; maxBytes?: number }, RegExp][] = [
    [
      'an operator Flywheel does not serve',
      graph('bad-unsupported-op'),
      { features: ['a', 'b', 'c', 'd'] },
      /TfIdfVectorizer is not supported/,
    ],
    ['a custom domain', graph('bad-custom-domain'), {}, /domain "com\.example"/],
    ['an input of rank 3', graph('bad-input-rank'), {}, /input "\S+" has rank 3; Flywheel feeds \[N\] or \[N, columns\] tensors/],
    [
      'a wide input whose columns are not named',
      graph('random-forest-classifier'),
      {},
      /input "float_input" has 4 columns: name the features/,
    ],
    [
      'feature names that do not fit the columns',
      graph('random-forest-classifier'),
      { features: ['a', 'b'] },
      /features: 2 names given, but the graph's inputs have 4 columns/,
    ],
    ['bytes that are not a model', new TextEncoder().encode('{"not": "onnx"}'), {}, /not an ONNX model/],
    ['a file over the size limit', graph('random-forest-classifier'), { maxBytes: 1024 }, /the file is \d+ bytes, over the limit of 1024/],
  ];

  it.each(refusals)('%s', (_, bytes, options, reason) => {
    expect(() => inspectOnnx(bytes, options)).toThrow(OnnxImportError);
    expect(() => inspectOnnx(bytes, options)).toThrow(reason);
  });

  it('a numeric tree model whose input is declared as strings is refused by the runtime when loaded', async () => {
    await expect(OnnxModel.load(runtime, graph('bad-string-input'), { features: ['a', 'b', 'c', 'd'] })).rejects.toThrow(
      /TreeEnsembleRegressor|type/i,
    );
  });
});
