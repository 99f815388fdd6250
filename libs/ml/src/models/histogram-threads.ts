/**
 * Histogram building on several cores, as scikit-learn's boosted trees do with OpenMP: helper
 * threads share the binned data, gradients, row partition and histograms with the fitting
 * thread (SharedArrayBuffer), and each builds every node's histogram for its own block of
 * features while the fitting thread builds the first block. The blocks are disjoint, and each
 * bin sums its rows in the same order as one thread would, so the trees are identical to a
 * single-threaded fit.
 *
 * A fit is one synchronous call, so the threads are driven without the event loop: commands go
 * through a shared Int32Array (Atomics.wait/notify) and each fit's buffers reach the helpers as
 * a message they read synchronously (receiveMessageOnPort). The helpers start once per thread
 * that fits and then wait, unreferenced, for the next fit.
 */
import { extname, join } from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { accumulateHistogram, histogramSize } from './hist-tree';

/** Slots of the control array. */
export const Control = {
  /** Bumped by every command; helpers wait for it to change. */
  Sequence: 0,
  /** Helpers still working on the current command. */
  Pending: 1,
  Command: 2,
  Start: 3,
  Stop: 4,
  IsRoot: 5,
  /** Which histogram of the arena to fill. */
  Slot: 6,
  /** Helpers that have started. */
  Ready: 7,
  /** Set by a helper whose command threw. */
  Failed: 8,
  /** Helpers taking part in the current fit: those of a higher index ignore its commands. */
  Active: 9,
  Length: 10,
} as const;

export const Command = {
  Build: 1,
  /** Read the next fit's buffers from the port. */
  Session: 2,
  /** Drop the fit's buffers. */
  EndSession: 3,
} as const;
export type Command = (typeof Command)[keyof typeof Command];

/** What a helper reads at the start of a fit. */
export interface SessionMessage {
  readonly bins: SharedArrayBuffer;
  readonly rows: SharedArrayBuffer;
  readonly gradients: SharedArrayBuffer;
  readonly hessians: SharedArrayBuffer;
  readonly partition: SharedArrayBuffer;
  readonly arena: SharedArrayBuffer;
  readonly nRows: number;
  readonly nFeatures: number;
  readonly featureFrom: number;
  readonly featureTo: number;
}

export interface HelperData {
  readonly control: SharedArrayBuffer;
  readonly port: MessagePort;
  /** 0 for the first helper started. */
  readonly index: number;
}

/** Below this many binned values a fit is over before helpers would pay for themselves. */
export const MIN_CELLS_FOR_THREADS = 500_000;
/** How long a command may take a helper before the fit gives up on it (a helper that died). */
const HELPER_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 15_000;
const LOADER = '@swc-node/register';

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
}

/** The helpers of this thread, shared by its fits (a fit is synchronous, so one at a time). */
let helpers: Helper[] = [];
let control: Int32Array | null = null;

function startHelpers(count: number): boolean {
  if (helpers.length >= count) return true;
  control ??= new Int32Array(new SharedArrayBuffer(Control.Length * 4));
  const file = join(__dirname, `histogram-threads.worker${extname(__filename)}`);
  const inherited = process.execArgv.some((arg) => arg.includes(LOADER));
  const execArgv = file.endsWith('.ts') && !inherited ? [...process.execArgv, '--require', LOADER] : undefined;
  while (helpers.length < count) {
    const { port1, port2 } = new MessageChannel();
    const data: HelperData = { control: control.buffer as SharedArrayBuffer, port: port2, index: helpers.length };
    const worker = new Worker(file, { workerData: data, transferList: [port2], ...(execArgv ? { execArgv } : {}) });
    worker.unref();
    // A helper that fails shows as a fit that falls back to one thread, not as an unhandled error.
    worker.on('error', () => undefined);
    helpers.push({ worker, port: port1 });
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let ready = Atomics.load(control, Control.Ready); ready < helpers.length; ready = Atomics.load(control, Control.Ready)) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(control, Control.Ready, ready, left) === 'timed-out') {
      for (const h of helpers) void h.worker.terminate();
      helpers = [];
      control = null;
      return false;
    }
  }
  return true;
}

/** Sends `command` to the first `count` helpers; the others (started for a fit with more threads) sit it out. */
function broadcast(ctl: Int32Array, command: Command, count: number): void {
  Atomics.store(ctl, Control.Command, command);
  Atomics.store(ctl, Control.Active, count);
  Atomics.store(ctl, Control.Pending, count);
  Atomics.add(ctl, Control.Sequence, 1);
  Atomics.notify(ctl, Control.Sequence);
}

function awaitHelpers(ctl: Int32Array): void {
  const deadline = Date.now() + HELPER_TIMEOUT_MS;
  for (let pending = Atomics.load(ctl, Control.Pending); pending !== 0; pending = Atomics.load(ctl, Control.Pending)) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(ctl, Control.Pending, pending, left) === 'timed-out') {
      throw new Error(`a histogram thread did not answer within ${HELPER_TIMEOUT_MS / 1000} s`);
    }
  }
  if (Atomics.exchange(ctl, Control.Failed, 0) !== 0) throw new Error('a histogram thread failed');
}

/** Feature block `k` of `parts` over `nFeatures`: as even as whole features allow. */
export function featureBlock(k: number, parts: number, nFeatures: number): { from: number; to: number } {
  return { from: Math.floor((k * nFeatures) / parts), to: Math.floor(((k + 1) * nFeatures) / parts) };
}

/** The shared buffers of one fit, and the threads that build its histograms. */
export class HistogramThreads {
  /** Per feature, the bins of every row (views on one shared buffer). */
  readonly bins: Uint8Array[];
  /** The same bins row-major. */
  readonly rows: Uint8Array;
  readonly gradients: Float32Array;
  readonly hessians: Float32Array;
  readonly partition: Int32Array;
  private readonly arena: Float64Array;
  private readonly histSize: number;
  private slotsUsed = 0;
  private closed = false;

  private constructor(
    private readonly ctl: Int32Array,
    private readonly nHelpers: number,
    private readonly nRows: number,
    private readonly nFeatures: number,
    maxHistograms: number,
  ) {
    const binBuffer = new SharedArrayBuffer(nRows * nFeatures);
    this.bins = Array.from({ length: nFeatures }, (_, f) => new Uint8Array(binBuffer, f * nRows, nRows));
    this.rows = new Uint8Array(new SharedArrayBuffer(nRows * nFeatures));
    this.gradients = new Float32Array(new SharedArrayBuffer(nRows * 4));
    this.hessians = new Float32Array(new SharedArrayBuffer(nRows * 4));
    this.partition = new Int32Array(new SharedArrayBuffer(nRows * 4));
    this.histSize = histogramSize(nFeatures);
    this.arena = new Float64Array(new SharedArrayBuffer(maxHistograms * this.histSize * 8));
  }

  /**
   * Threads for a fit of `nRows` × `nFeatures` holding at most `maxHistograms` histograms at
   * once, or null when one thread is asked for, the data is too small to gain, or helpers
   * cannot start (the fit then runs on its own thread).
   */
  static open(threads: number, nRows: number, nFeatures: number, maxHistograms: number): HistogramThreads | null {
    const parts = Math.min(threads, nFeatures);
    if (parts < 2 || nRows * nFeatures < MIN_CELLS_FOR_THREADS) return null;
    if (!startHelpers(parts - 1)) return null;
    const self = new HistogramThreads(control as Int32Array, parts - 1, nRows, nFeatures, maxHistograms);
    self.beginSession();
    return self;
  }

  private beginSession(): void {
    for (let k = 0; k < this.nHelpers; k++) {
      const block = featureBlock(k + 1, this.nHelpers + 1, this.nFeatures);
      const message: SessionMessage = {
        bins: this.bins[0].buffer as SharedArrayBuffer,
        rows: this.rows.buffer as SharedArrayBuffer,
        gradients: this.gradients.buffer as SharedArrayBuffer,
        hessians: this.hessians.buffer as SharedArrayBuffer,
        partition: this.partition.buffer as SharedArrayBuffer,
        arena: this.arena.buffer as SharedArrayBuffer,
        nRows: this.nRows,
        nFeatures: this.nFeatures,
        featureFrom: block.from,
        featureTo: block.to,
      };
      helpers[k].port.postMessage(message);
    }
    broadcast(this.ctl, Command.Session, this.nHelpers);
    awaitHelpers(this.ctl);
  }

  /** Threads building each histogram, the fitting one included. */
  get count(): number {
    return this.nHelpers + 1;
  }

  /** A zeroed histogram in the shared arena. */
  newHistogram(): Float64Array {
    const slots = this.arena.length / this.histSize;
    if (this.slotsUsed === slots) throw new Error(`a tree needed more than ${slots} histograms at once`);
    const at = this.slotsUsed++ * this.histSize;
    return this.arena.subarray(at, at + this.histSize);
  }

  /** Fills `hist` (from {@link newHistogram}) for rows `partition[start … stop − 1]`, all threads at once. */
  build(hist: Float64Array, start: number, stop: number, isRoot: boolean): void {
    const ctl = this.ctl;
    Atomics.store(ctl, Control.Start, start);
    Atomics.store(ctl, Control.Stop, stop);
    Atomics.store(ctl, Control.IsRoot, isRoot ? 1 : 0);
    Atomics.store(ctl, Control.Slot, hist.byteOffset / (this.histSize * 8));
    broadcast(ctl, Command.Build, this.nHelpers);
    const own = featureBlock(0, this.nHelpers + 1, this.nFeatures);
    accumulateHistogram(hist, this, this.gradients, this.hessians, this.partition, start, stop, isRoot, own.from, own.to);
    awaitHelpers(ctl);
  }

  /** Ends the fit: the helpers let go of its buffers and wait for the next one. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    broadcast(this.ctl, Command.EndSession, this.nHelpers);
    awaitHelpers(this.ctl);
  }
}

/** Stops this thread's helpers (tests; a process that exits needs nothing). */
export async function stopHistogramThreads(): Promise<void> {
  const stopping = helpers;
  helpers = [];
  control = null;
  await Promise.all(stopping.map((h) => h.worker.terminate()));
}
