import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectOnnx } from './inspect-onnx';
import { artifactKind } from './artifact-kind';

const fixtures = join(__dirname, '../../fixtures');

describe('artifactKind', () => {
  it('knows a Flywheel artifact by its JSON object, whatever whitespace comes first', () => {
    const json = JSON.stringify({ formatVersion: 1, algorithm: 'logreg' });
    expect(artifactKind(Buffer.from(json))).toBe('flywheel');
    expect(artifactKind(Buffer.from(`\n\t \r${JSON.stringify({ formatVersion: 1 }, null, 2)}`))).toBe('flywheel');
  });

  it('takes every ONNX graph, as brought or as stored, for one; and anything else, which the ONNX loader then refuses', () => {
    for (const [name, features] of [
      ['random-forest-classifier', ['a', 'b', 'c', 'd']],
      ['logistic-regression-scaled', undefined],
      ['gradient-boosting-regressor', ['a', 'b', 'c', 'd', 'e']],
      ['xgboost-classifier', ['a', 'b', 'c', 'd']],
    ] as const) {
      const original = readFileSync(join(fixtures, `${name}.onnx`));
      const stored = inspectOnnx(original, { features }).bytes;
      expect([artifactKind(original), artifactKind(stored)]).toEqual(['onnx', 'onnx']);
    }
    expect(artifactKind(Buffer.from('[1, 2]'))).toBe('onnx');
    expect(artifactKind(Buffer.from('   '))).toBe('onnx');
    expect(artifactKind(new Uint8Array())).toBe('onnx');
  });
});
