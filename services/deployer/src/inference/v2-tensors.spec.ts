import { inferenceV2 } from '@flywheel/contracts';
import { type FeatureSpec } from '@flywheel/ml';
import { InvalidArgumentException } from '@flywheel/platform';
import { inspectOnnx, type OnnxInputBinding } from '@flywheel/onnx';
import { onnxFixture } from '../testing/onnx-fixtures';
import { grpcInferRequest, grpcOutput, outputTensors, restInferRequest, rowsOfInputs, tensorMetadata } from './v2-tensors';

const features = [
  { name: 'amount', type: 'numeric' },
  { name: 'region', type: 'categorical' },
] as unknown as FeatureSpec[];

const problem = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (error instanceof InvalidArgumentException) return error.violations.map((v) => `${v.field}: ${v.reason}`).join('; ');
    throw error;
  }
  throw new Error('no problem');
};

describe('Open Inference Protocol tensors', () => {
  it('reads one input per feature, [N] or [N, 1], into rows; nulls are missing values', () => {
    const request = restInferRequest({
      inputs: [
        { name: 'region', shape: [2, 1], datatype: 'BYTES', data: [['north'], [null]] },
        { name: 'amount', shape: [2], datatype: 'FP64', data: [1.5, 2] },
      ],
    });
    expect(rowsOfInputs(request.inputs, features)).toEqual([
      { region: { stringValue: 'north' }, amount: { numberValue: 1.5 } },
      { region: {}, amount: { numberValue: 2 } },
    ]);
  });

  it('reads one [N, F] input as the features in the model’s order', () => {
    const request = restInferRequest({
      inputs: [
        {
          name: 'input-0',
          shape: [2, 2],
          datatype: 'FP64',
          data: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    });
    expect(rowsOfInputs(request.inputs, features)).toEqual([
      { amount: { numberValue: 1 }, region: { numberValue: 2 } },
      { amount: { numberValue: 3 }, region: { numberValue: 4 } },
    ]);
  });

  it('decodes raw little-endian contents by data type, and BYTES as length-prefixed elements', () => {
    const int64 = Buffer.alloc(16);
    int64.writeBigInt64LE(-3n, 0);
    int64.writeBigInt64LE(2n ** 40n, 8);
    const fp32 = Buffer.alloc(8);
    fp32.writeFloatLE(0.5, 0);
    fp32.writeFloatLE(-2, 4);
    const bools = Buffer.from([1, 0]);
    const bytes = Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from('a'), Buffer.from([2, 0, 0, 0]), Buffer.from('bc')]);
    const request = grpcInferRequest(
      inferenceV2.ModelInferRequest.fromPartial({
        inputs: [
          { name: 'a', datatype: 'INT64', shape: [2] },
          { name: 'b', datatype: 'FP32', shape: [2] },
          { name: 'c', datatype: 'BOOL', shape: [2] },
          { name: 'd', datatype: 'BYTES', shape: [2] },
        ],
        rawInputContents: [int64, fp32, bools, bytes],
      }),
    );
    expect(request.inputs.map((t) => t.data)).toEqual([
      [-3, 2 ** 40],
      [0.5, -2],
      [true, false],
      ['a', 'bc'],
    ]);
    expect(
      problem(() =>
        grpcInferRequest(
          inferenceV2.ModelInferRequest.fromPartial({
            inputs: [{ name: 'd', datatype: 'BYTES', shape: [1] }],
            rawInputContents: [Buffer.from([9, 0, 0, 0, 1])],
          }),
        ),
      ),
    ).toBe('raw_input_contents[0]: ends inside an element');
  });

  it('refuses what does not add up, naming the field', () => {
    expect(problem(() => restInferRequest({ inputs: [{ name: 'amount', shape: [3], datatype: 'FP64', data: [1, 2] }] }))).toBe(
      'inputs[0].data: holds 2 elements; shape [3] needs 3',
    );
    expect(problem(() => restInferRequest({ inputs: [{ name: 'amount', shape: [1], datatype: 'FLOAT', data: [1] }] }))).toMatch(
      /^inputs\[0\]\.datatype: must be one of/,
    );
    expect(problem(() => restInferRequest({ inputs: [{ name: 'amount', shape: [1], datatype: 'FP64', data: [{}] }] }))).toBe(
      'inputs[0].data: must hold numbers, texts, booleans or null',
    );
    expect(problem(() => restInferRequest({ id: 'has space', inputs: [] }))).toMatch(/^inputs: must list at least one/);
    expect(
      problem(() => restInferRequest({ id: 'has space', inputs: [{ name: 'amount', shape: [1], datatype: 'FP64', data: [1] }] })),
    ).toMatch(/^id: must be at most 100 printable ASCII characters/);
    const mismatched = restInferRequest({
      inputs: [
        { name: 'amount', shape: [2], datatype: 'FP64', data: [1, 2] },
        { name: 'region', shape: [1], datatype: 'BYTES', data: ['x'] },
      ],
    });
    expect(problem(() => rowsOfInputs(mismatched.inputs, features))).toBe(
      "inputs[1].shape: must be [2] or [2, 1] like the first input's rows",
    );
  });

  it('answers predict and, for a binary classifier, both classes’ probabilities; only the outputs asked for', () => {
    const rows = [
      { output: { boolValue: true }, probability: 0.75 },
      { output: { boolValue: false }, probability: 0.25 },
    ];
    const all = outputTensors(rows, 'binary', ['false', 'true']);
    expect(all).toEqual([
      { name: 'predict', datatype: 'BOOL', shape: [2], data: [true, false] },
      { name: 'predict_proba', datatype: 'FP64', shape: [2, 2], data: [0.25, 0.75, 0.75, 0.25] },
    ]);
    expect(grpcOutput(all[0]!).contents!.boolContents).toEqual([true, false]);
    expect(outputTensors(rows, 'binary', ['false', 'true'], ['predict_proba']).map((t) => t.name)).toEqual(['predict_proba']);
    expect(problem(() => outputTensors(rows, 'regression', [], ['predict_proba']))).toBe(
      'outputs[0].name: the model has no output "predict_proba" (predict)',
    );
  });

  describe("an ONNX model's own input tensors", () => {
    // A graph fed as scikit-learn's converter writes it: one [N, 2] float tensor, then one [N] string tensor.
    const graphInputs: OnnxInputBinding[] = [
      { name: 'float_input', type: 'float32', rank: 2, features: ['amount', 'age'] },
      { name: 'region_input', type: 'string', rank: 1, features: ['region'] },
    ];
    const graphFeatures = [
      { name: 'amount', type: 'numeric' },
      { name: 'age', type: 'numeric' },
      { name: 'region', type: 'categorical' },
    ] as unknown as FeatureSpec[];

    it('maps column j of a graph input to its feature j, row by row, whichever order the inputs come in', () => {
      const request = restInferRequest({
        inputs: [
          { name: 'region_input', shape: [2], datatype: 'BYTES', data: ['north', null] },
          {
            name: 'float_input',
            shape: [2, 2],
            datatype: 'FP32',
            data: [
              [10.5, 30],
              [null, 41],
            ],
          },
        ],
      });
      expect(rowsOfInputs(request.inputs, graphFeatures, graphInputs)).toEqual([
        { amount: { numberValue: 10.5 }, age: { numberValue: 30 }, region: { stringValue: 'north' } },
        { amount: {}, age: { numberValue: 41 }, region: {} },
      ]);
      // One input per feature is still understood, as for a native model.
      const perFeature = restInferRequest({
        inputs: [
          { name: 'amount', shape: [1], datatype: 'FP64', data: [1] },
          { name: 'age', shape: [1], datatype: 'FP64', data: [2] },
          { name: 'region', shape: [1], datatype: 'BYTES', data: ['south'] },
        ],
      });
      expect(rowsOfInputs(perFeature.inputs, graphFeatures, graphInputs)).toEqual([
        { amount: { numberValue: 1 }, age: { numberValue: 2 }, region: { stringValue: 'south' } },
      ]);
    });

    it('reads a stored graph as its description binds it: float_input [N, 4] of the forest', () => {
      const fixture = onnxFixture('random-forest-classifier');
      const { inputs } = inspectOnnx(fixture.stored).description;
      const signature = fixture.features.map((name) => ({ name, type: 'numeric' })) as unknown as FeatureSpec[];
      const request = restInferRequest({
        inputs: [{ name: 'float_input', shape: [2, 4], datatype: 'FP32', data: fixture.rows.slice(0, 2) }],
      });
      expect(rowsOfInputs(request.inputs, signature, inputs)).toEqual(
        [0, 1].map((i) => Object.fromEntries(fixture.features.map((f, j) => [f, { numberValue: fixture.rows[i]![j] }]))),
      );
    });

    it('refuses a graph input of the wrong width or rows, one given twice, or one missing, naming the field', () => {
      const float = (shape: number[], data: number[]) => ({ name: 'float_input', shape, datatype: 'FP32', data });
      const region = (n: number) => ({ name: 'region_input', shape: [n], datatype: 'BYTES', data: Array.from({ length: n }, () => 'x') });
      const rows = (...inputs: object[]) => rowsOfInputs(restInferRequest({ inputs }).inputs, graphFeatures, graphInputs);
      expect(problem(() => rows(float([2, 3], [1, 2, 3, 4, 5, 6]), region(2)))).toBe(
        'inputs[0].shape: must be [2, 2]: the graph\'s input "float_input" carries amount, age',
      );
      expect(problem(() => rows(float([1, 2], [1, 2]), region(2)))).toBe(
        'inputs[1].shape: must be [1] or [1, 1]: the graph\'s input "region_input" carries region',
      );
      expect(problem(() => rows(float([1, 2], [1, 2]), float([1, 2], [1, 2])))).toBe(
        'inputs[1].name: the input "float_input" is given twice',
      );
      expect(problem(() => rows(float([1, 2], [1, 2])))).toBe(
        'inputs: the graph\'s inputs "region_input" are missing: send every one of its inputs',
      );
      // Neither features nor graph inputs: the error says every way the model can be fed.
      expect(problem(() => rows({ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }))).toBe(
        'inputs[0].name: the model has no feature "x": send one input per feature (amount, age, region), ' +
          "or the graph's inputs (float_input [N, 2], region_input [N, 1]), or one input of shape [N, 3] with the features in that order",
      );
    });

    it("describes the graph's own inputs in ModelMetadata, in their element types, and the deployer's outputs", () => {
      const withInt: OnnxInputBinding[] = [...graphInputs, { name: 'counts', type: 'int64', rank: 2, features: ['visits'] }];
      expect(tensorMetadata(graphFeatures, 'binary', [0, 1], withInt)).toEqual({
        inputs: [
          { name: 'float_input', datatype: 'FP32', shape: [-1, 2] },
          { name: 'region_input', datatype: 'BYTES', shape: [-1] },
          { name: 'counts', datatype: 'INT64', shape: [-1, 1] },
        ],
        outputs: [
          { name: 'predict', datatype: 'FP64', shape: [-1] },
          { name: 'predict_proba', datatype: 'FP64', shape: [-1, 2] },
        ],
      });
      // A native model's inputs stay its features.
      expect(tensorMetadata(graphFeatures, 'regression', []).inputs.map((i) => i.name)).toEqual(['amount', 'age', 'region']);
    });
  });
});
