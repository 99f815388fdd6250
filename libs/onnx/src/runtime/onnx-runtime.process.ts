// The process of OnnxRuntime. onnxruntime-node loads graphs and runs them synchronously, and its
// native module registers once per process (a second worker thread cannot load it), so graphs
// run in a child process of their own: off the event loop that serves requests, and replaceable
// when a graph takes too long or brings it down.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { type RuntimeMessage, type RuntimeReply, type RuntimeRequest, type TensorData } from './onnx-runtime.types';

const sessions = new Map<number, InferenceSession>();

function tensorOf(t: TensorData): Tensor {
  return new Tensor(t.type, t.data as never, t.dims);
}

function dataOf(name: string, t: Tensor): TensorData {
  const dims = [...t.dims];
  switch (t.type) {
    case 'float32':
    case 'float64':
    case 'int64':
    case 'int32':
    case 'bool':
    case 'string':
      return { type: t.type, data: t.data, dims } as TensorData;
    default:
      throw new Error(`output "${name}" is a ${t.type} tensor, which Flywheel does not read`);
  }
}

/** What the process does with one request; its type is what OnnxRuntime sends and receives. */
export async function handle(request: RuntimeRequest): Promise<RuntimeReply> {
  if (request.kind === 'load') {
    // One thread per graph run: the service answers many small requests, one at a time here.
    const session = await InferenceSession.create(request.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    await sessions.get(request.session)?.release();
    sessions.set(request.session, session);
    return { kind: 'loaded', inputNames: session.inputNames, outputNames: session.outputNames };
  }
  const session = sessions.get(request.session);
  if (request.kind === 'release') {
    sessions.delete(request.session);
    await session?.release();
    return { kind: 'released' };
  }
  if (!session) throw new Error(`ONNX session ${request.session} is not loaded`);
  const feeds = Object.fromEntries(Object.entries(request.feeds).map(([name, t]) => [name, tensorOf(t)]));
  const results = await session.run(feeds);
  return { kind: 'ran', outputs: Object.fromEntries(Object.entries(results).map(([name, t]) => [name, dataOf(name, t)])) };
}

// Requests are answered one at a time, in the order they came.
let queue = Promise.resolve();
process.on('message', (message: RuntimeMessage<RuntimeRequest>) => {
  queue = queue.then(async () => {
    try {
      process.send!({ id: message.id, ok: true, result: await handle(message.body) });
    } catch (error) {
      process.send!({ id: message.id, ok: false, message: error instanceof Error ? error.message : String(error) });
    }
  });
});
// The service that started this process is gone: nothing is left to answer.
process.on('disconnect', () => process.exit(0));
