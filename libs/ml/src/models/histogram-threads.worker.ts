// A helper of HistogramThreads: waits for commands on the shared control array and builds its
// block of features' histograms for each node of the fit in hand.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { accumulateHistogram, histogramSize } from './hist-tree';
import { Command, Control, type HelperData, type SessionMessage } from './histogram-threads';

interface Session {
  readonly data: { bins: Uint8Array[]; rows: Uint8Array };
  readonly gradients: Float32Array;
  readonly hessians: Float32Array;
  readonly partition: Int32Array;
  readonly arena: Float64Array;
  readonly histSize: number;
  readonly featureFrom: number;
  readonly featureTo: number;
}

function sessionOf(m: SessionMessage): Session {
  return {
    data: {
      bins: Array.from({ length: m.nFeatures }, (_, f) => new Uint8Array(m.bins, f * m.nRows, m.nRows)),
      rows: new Uint8Array(m.rows),
    },
    gradients: new Float32Array(m.gradients),
    hessians: new Float32Array(m.hessians),
    partition: new Int32Array(m.partition),
    arena: new Float64Array(m.arena),
    histSize: histogramSize(m.nFeatures),
    featureFrom: m.featureFrom,
    featureTo: m.featureTo,
  };
}

const { control: controlBuffer, port, index } = workerData as HelperData;
const control = new Int32Array(controlBuffer);
let session: Session | null = null;
let seen = Atomics.load(control, Control.Sequence);
Atomics.add(control, Control.Ready, 1);
Atomics.notify(control, Control.Ready);

for (;;) {
  Atomics.wait(control, Control.Sequence, seen);
  seen = Atomics.load(control, Control.Sequence);
  // Started for a fit with more threads than this one: not counted in Pending, so not a word.
  if (index >= Atomics.load(control, Control.Active)) continue;
  try {
    const command = Atomics.load(control, Control.Command);
    if (command === Command.Session) {
      const received = receiveMessageOnPort(port);
      if (!received) throw new Error('no session message');
      session = sessionOf(received.message as SessionMessage);
    } else if (command === Command.EndSession) session = null;
    else if (command === Command.Build && session) {
      const at = Atomics.load(control, Control.Slot) * session.histSize;
      accumulateHistogram(
        session.arena.subarray(at, at + session.histSize),
        session.data,
        session.gradients,
        session.hessians,
        session.partition,
        Atomics.load(control, Control.Start),
        Atomics.load(control, Control.Stop),
        Atomics.load(control, Control.IsRoot) === 1,
        session.featureFrom,
        session.featureTo,
      );
    }
  } catch {
    Atomics.store(control, Control.Failed, 1);
  } finally {
    if (Atomics.sub(control, Control.Pending, 1) === 1) Atomics.notify(control, Control.Pending);
  }
}
