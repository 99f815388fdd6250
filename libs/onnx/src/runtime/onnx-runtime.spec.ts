import { Rng, categoricalColumn, fitModel, makeTable, numericColumn } from '@flywheel/ml';
import { exportedFeeds, exportModel } from '../export/export-model';
import { OnnxRuntime } from './onnx-runtime';

// A small model and its graph: what the runtime loads and runs below.
const rng = new Rng(3);
const x = Float64Array.from({ length: 200 }, () => rng.normal());
const table = makeTable([
  numericColumn('x', x),
  categoricalColumn(
    'y',
    Array.from(x, (v) => (v + rng.normal() * 0.5 > 0 ? 'yes' : 'no')),
  ),
]);
const artifact = fitModel({ table, label: 'y', algo: 'logreg', now: new Date(0) });
const graph = exportModel(artifact);
const feeds = exportedFeeds(artifact, table);

describe('OnnxRuntime: graphs in a child process', () => {
  it('runs a loaded graph, and after its process dies starts another and loads the session again', async () => {
    const runtime = new OnnxRuntime();
    try {
      const session = await runtime.load(graph);
      expect(session.outputNames).toEqual(['label', 'probabilities']);
      const first = await runtime.run(session, feeds);
      const pid = runtime.pid!;
      process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      const again = await runtime.run(session, feeds);
      expect(runtime.pid).not.toBe(pid);
      expect(Array.from(again.probabilities.data as Float64Array)).toEqual(Array.from(first.probabilities.data as Float64Array));
    } finally {
      await runtime.close();
    }
  });

  it('fails a call past its time budget with the reason, stopping its own process and no other runtime', async () => {
    const runtime = new OnnxRuntime({ timeoutMs: 20_000 });
    try {
      const session = await runtime.load(graph);
      const pid = runtime.pid!;
      // A budget no run can meet: the process is stopped, the call fails saying why.
      const hurried = new OnnxRuntime({ timeoutMs: 1 });
      await expect(hurried.load(graph)).rejects.toThrow(/ONNX runtime stopped: a load ran past 1 ms/);
      expect(hurried.pid).toBeUndefined();
      await hurried.close();
      // The other runtime is untouched.
      expect((await runtime.run(session, feeds)).probabilities.dims).toEqual([200, 2]);
      expect(runtime.pid).toBe(pid);
    } finally {
      await runtime.close();
    }
  });

  it('passes the runtime’s own refusal of a graph on, and stays usable', async () => {
    const runtime = new OnnxRuntime();
    try {
      await expect(runtime.load(new TextEncoder().encode('not a graph'))).rejects.toThrow(/protobuf|parse|load/i);
      const session = await runtime.load(graph);
      expect((await runtime.run(session, feeds)).label.dims).toEqual([200]);
    } finally {
      await runtime.close();
    }
  });
});
