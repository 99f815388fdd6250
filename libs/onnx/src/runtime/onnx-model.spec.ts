import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type InputRow, SignatureError } from '@flywheel/ml';
import { OnnxModel } from './onnx-model';
import { OnnxRuntime } from './onnx-runtime';

const fixtures = join(__dirname, '../../fixtures');
const reference = JSON.parse(readFileSync(join(fixtures, 'xgboost-classifier.json'), 'utf8')) as {
  rows: (number | null)[][];
  expected: { probabilities: number[][] };
};
const FEATURES = ['f0', 'f1', 'f2', 'f3'];
const rows: InputRow[] = reference.rows.map((r) => Object.fromEntries(FEATURES.map((f, j) => [f, r[j]])));

const runtime = new OnnxRuntime();
afterAll(() => runtime.close());

describe('OnnxModel: single rows under load', () => {
  it('scores rows asked for at once in a few runs, each answered as if alone; a bad row fails alone', async () => {
    const model = await OnnxModel.load(runtime, readFileSync(join(fixtures, 'xgboost-classifier.onnx')), { features: FEATURES });
    const run = jest.spyOn(runtime, 'run');
    try {
      const bad = model.predictRow({ ...rows[0], f2: 'high' });
      const answers = await Promise.all(rows.map((row) => model.predictRow(row)));
      await expect(bad).rejects.toThrow(SignatureError);
      await expect(bad).rejects.toThrow('field "f2" must be a number or null, got string');
      answers.forEach((answer, i) =>
        reference.expected.probabilities[i].forEach((p, c) => expect(Math.abs(answer.probabilities![c] - p)).toBeLessThan(1e-5)),
      );
      // 50 rows, one run for the first and one for the rest that waited behind it (at most).
      expect(run.mock.calls.length).toBeLessThanOrEqual(2);
      expect(run.mock.calls.reduce((n, [, feeds]) => n + feeds.input.dims[0], 0)).toBe(rows.length);
    } finally {
      run.mockRestore();
      await model.release();
    }
  });
});
