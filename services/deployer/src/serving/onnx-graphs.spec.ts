import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testConfig } from '../testing/fakes';
import { onnxFixture } from '../testing/onnx-fixtures';
import { ArtifactRejectedError } from './artifact-rejected.error';
import { OnnxGraphs } from './onnx-graphs';

/** The ONNX runtime processes this test's process has started. */
function runtimeProcesses(): number {
  const children = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'args='], { encoding: 'utf8' });
  return children.split('\n').filter((args) => args.includes('onnx-runtime.process')).length;
}

describe('OnnxGraphs', () => {
  it('starts its runtime with the first graph, not before, and stops it when the module is destroyed', async () => {
    const graphs = new OnnxGraphs(testConfig());
    expect(runtimeProcesses()).toBe(0);
    const fixture = onnxFixture('gradient-boosting-regressor');
    const model = await graphs.load(fixture.stored);
    expect(runtimeProcesses()).toBe(1);
    expect(model.task).toBe('regression');
    expect(model.signature.features.map((f) => f.name)).toEqual(fixture.features);
    await graphs.onModuleDestroy();
    expect(runtimeProcesses()).toBe(0);

    // Shutting down is no verdict on a graph: its load fails, but not as a rejected artifact.
    const late = graphs.load(fixture.stored);
    await expect(late).rejects.toThrow('ONNX runtime stopped');
    await expect(late).rejects.not.toBeInstanceOf(ArtifactRejectedError);
  });

  it('rejects for good a graph the import rules refuse, naming why, before the runtime sees it', async () => {
    const graphs = new OnnxGraphs(testConfig());
    try {
      const fixtures = join(__dirname, '../../../../libs/onnx/fixtures');
      const unsupported = readFileSync(join(fixtures, 'bad-unsupported-op.onnx'));
      const load = graphs.load(unsupported);
      await expect(load).rejects.toBeInstanceOf(ArtifactRejectedError);
      await expect(load).rejects.toThrow(/^artifact rejected: ONNX graph: node \d+.*not supported/);
      expect(runtimeProcesses()).toBe(0);
    } finally {
      await graphs.onModuleDestroy();
    }
  });
});
