import { inferenceV2 } from '@flywheel/contracts';
import { type FeatureSpec } from '@flywheel/ml';
import { InvalidArgumentException } from '@flywheel/platform';
import { grpcInferRequest, grpcOutput, outputTensors, restInferRequest, rowsOfInputs } from './v2-tensors';

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
});
