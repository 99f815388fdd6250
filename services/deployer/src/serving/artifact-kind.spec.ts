import { fraudArtifact } from '../testing/fakes';
import { onnxFixture } from '../testing/onnx-fixtures';
import { artifactKind } from './artifact-kind';

describe('artifactKind', () => {
  it('knows a Flywheel artifact by its JSON object, whatever whitespace comes first', () => {
    const json = JSON.stringify(fraudArtifact({ seed: 1 }));
    expect(artifactKind(Buffer.from(json))).toBe('flywheel');
    expect(artifactKind(Buffer.from(`\n\t \r${JSON.stringify(fraudArtifact({ seed: 1 }), null, 2)}`))).toBe('flywheel');
  });

  it('takes every ONNX graph, as brought or as stored, for one; and anything else, which the ONNX loader then refuses', () => {
    for (const name of [
      'random-forest-classifier',
      'logistic-regression-scaled',
      'gradient-boosting-regressor',
      'xgboost-classifier',
    ] as const) {
      const fixture = onnxFixture(name);
      expect([artifactKind(fixture.original), artifactKind(fixture.stored)]).toEqual(['onnx', 'onnx']);
    }
    expect(artifactKind(Buffer.from('[1, 2]'))).toBe('onnx');
    expect(artifactKind(Buffer.from('   '))).toBe('onnx');
    expect(artifactKind(new Uint8Array())).toBe('onnx');
  });
});
