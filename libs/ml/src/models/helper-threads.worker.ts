// A helper of helper-threads.ts: waits for commands on the shared control array and does its
// share of the session in hand — features of each node's histograms and blocks of each round's
// gradients for a fit, or a share of each block's rows scored by a forest.
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { type Forest } from './forest';
import { scoreShare } from './forest-threads';
import { histogramSize } from './hist-tree';
import { type GbdtLoss } from './hist-gradient-boosting';
import { buildClaimedFeatures, claimGradientBlocks } from './histogram-threads';
import { Command, Control, type ForestSession, type HelperData, type HistogramSession, type SessionMessage } from './helper-threads';

/** What a helper works on between commands: its session's buffers, bound. */
export type HelperWork = HistogramWork | ForestWork;

interface HistogramWork {
  readonly kind: 'histograms';
  readonly data: { bins: Uint8Array[]; rows: Uint8Array };
  readonly gradients: Float32Array;
  readonly hessians: Float32Array;
  readonly partition: Int32Array;
  readonly arena: Float64Array;
  readonly histSize: number;
  readonly nFeatures: number;
  readonly loss: GbdtLoss;
  readonly y: Float64Array;
  readonly raw: Float64Array;
  readonly blockLoss: Float64Array;
}

interface ForestWork {
  readonly kind: 'forest';
  readonly forest: Forest;
  readonly columns: Float64Array[];
  readonly out: Float64Array;
}

function histogramWork(m: HistogramSession): HistogramWork {
  return {
    kind: 'histograms',
    data: {
      bins: Array.from({ length: m.nFeatures }, (_, f) => new Uint8Array(m.bins, f * m.nRows, m.nRows)),
      rows: new Uint8Array(m.rows),
    },
    gradients: new Float32Array(m.gradients),
    hessians: new Float32Array(m.hessians),
    partition: new Int32Array(m.partition),
    arena: new Float64Array(m.arena),
    histSize: histogramSize(m.nFeatures),
    nFeatures: m.nFeatures,
    loss: m.loss,
    y: new Float64Array(m.y),
    raw: new Float64Array(m.raw),
    blockLoss: new Float64Array(m.blockLoss),
  };
}

function forestWork(m: ForestSession): ForestWork {
  return {
    kind: 'forest',
    forest: {
      baseline: m.baseline,
      roots: new Int32Array(m.roots),
      links: new Int32Array(m.links),
      threshold: new Float64Array(m.threshold),
      missingRight: new Uint8Array(m.missingRight),
      value: new Float64Array(m.value),
    },
    columns: Array.from({ length: m.width }, (_, j) => new Float64Array(m.columns, j * m.blockRows * 8, m.blockRows)),
    out: new Float64Array(m.out),
  };
}

const { control: controlBuffer, port, index } = workerData as HelperData;
const control = new Int32Array(controlBuffer);
let work: HelperWork | null = null;
let seen = Atomics.load(control, Control.Sequence);
Atomics.add(control, Control.Ready, 1);
Atomics.notify(control, Control.Ready);

for (;;) {
  Atomics.wait(control, Control.Sequence, seen);
  seen = Atomics.load(control, Control.Sequence);
  // Started for a call with more threads than this one: not counted in Pending, so not a word.
  const active = Atomics.load(control, Control.Active);
  if (index >= active) continue;
  try {
    const command = Atomics.load(control, Control.Command);
    if (command === Command.Session) {
      const received = receiveMessageOnPort(port);
      if (!received) throw new Error('no session message');
      const session = received.message as SessionMessage;
      work = session.kind === 'histograms' ? histogramWork(session) : forestWork(session);
    } else if (command === Command.EndSession) work = null;
    else if (command === Command.Build && work?.kind === 'histograms') {
      const at = Atomics.load(control, Control.Slot) * work.histSize;
      buildClaimedFeatures(
        control,
        work.arena.subarray(at, at + work.histSize),
        work.data,
        work.gradients,
        work.hessians,
        work.partition,
        Atomics.load(control, Control.Start),
        Atomics.load(control, Control.Stop),
        Atomics.load(control, Control.IsRoot) === 1,
        work.nFeatures,
      );
    } else if (command === Command.Gradients && work?.kind === 'histograms') {
      claimGradientBlocks(control, work.loss, work.y, work.raw, work.gradients, work.hessians, work.blockLoss);
    } else if (command === Command.Score && work?.kind === 'forest') {
      // The calling thread scores the first share; helper k the (k + 1)th.
      scoreShare(work.forest, work.columns, work.out, index + 1, active + 1, Atomics.load(control, Control.Start));
    } else throw new Error(`command ${command} does not fit the session in hand`);
  } catch {
    Atomics.store(control, Control.Failed, 1);
  } finally {
    if (Atomics.sub(control, Control.Pending, 1) === 1) Atomics.notify(control, Control.Pending);
  }
}
