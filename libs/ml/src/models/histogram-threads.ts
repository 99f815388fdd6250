/**
 * Histogram building on several cores, as scikit-learn's boosted trees do with OpenMP: helper
 * threads (helper-threads.ts) share the binned data, gradients, row partition and histograms
 * with the fitting thread (SharedArrayBuffer), and each builds every node's histogram for its
 * own block of features while the fitting thread builds the first block. The blocks are
 * disjoint, and each bin sums its rows in the same order as one thread would, so the trees are
 * identical to a single-threaded fit.
 */
import { accumulateHistogram, histogramSize } from './hist-tree';
import { beginSession, Command, Control, endSession, evenPart, together, type HistogramSession, startHelpers } from './helper-threads';

export { stopHelperThreads as stopHistogramThreads } from './helper-threads';

/** Below this many binned values a fit is over before helpers would pay for themselves. */
export const MIN_CELLS_FOR_THREADS = 500_000;

/** Feature block `k` of `parts` over `nFeatures`: as even as whole features allow. */
export const featureBlock = evenPart;

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
    const ctl = startHelpers(parts - 1);
    if (!ctl) return null;
    const self = new HistogramThreads(ctl, parts - 1, nRows, nFeatures, maxHistograms);
    self.beginSession();
    return self;
  }

  private beginSession(): void {
    const sessions = Array.from({ length: this.nHelpers }, (_, k): HistogramSession => {
      const block = featureBlock(k + 1, this.nHelpers + 1, this.nFeatures);
      return {
        kind: 'histograms',
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
    });
    beginSession(this.ctl, sessions);
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
    const own = featureBlock(0, this.nHelpers + 1, this.nFeatures);
    together(ctl, Command.Build, this.nHelpers, () =>
      accumulateHistogram(hist, this, this.gradients, this.hessians, this.partition, start, stop, isRoot, own.from, own.to),
    );
  }

  /** Ends the fit: the helpers let go of its buffers and wait for the next one. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    endSession(this.ctl, this.nHelpers);
  }
}
