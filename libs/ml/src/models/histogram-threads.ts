/**
 * Histogram building on several cores, as scikit-learn's boosted trees do with OpenMP: helper
 * threads (helper-threads.ts) share the binned data, gradients, row partition and histograms
 * with the fitting thread (SharedArrayBuffer), and every thread, the fitting one included,
 * builds each node's histogram for the features it claims from a shared counter, a few at a
 * time, until none is left. Claiming instead of a fixed block each keeps a thread that starts
 * late or runs slower from holding up the others. Each feature is built by one thread, its bins
 * summing their rows in the same order as one thread would, so the trees are identical to a
 * single-threaded fit. Each round's gradients are computed by the same threads, claiming blocks
 * of rows; each block's loss is summed alone and the blocks' sums in order, so the loss is the
 * same too.
 */
import { gradientBlock, lossBlocks, meanLoss } from './boosting-gradients';
import { type GbdtLoss } from './hist-gradient-boosting';
import { type BinnedData, accumulateHistogram, histogramSize } from './hist-tree';
import { beginSession, Command, Control, endSession, together, type HistogramSession, startHelpers } from './helper-threads';

export { stopHelperThreads as stopHistogramThreads } from './helper-threads';

/** Below this many binned values a fit is over before helpers would pay for themselves. */
export const MIN_CELLS_FOR_THREADS = 500_000;

/**
 * Features a thread claims at once. The root's histogram goes down each feature's column, so
 * one feature is a claim; other nodes go row by row over a claim's features, reading each row's
 * gradient and place once per claim, so they claim more: half of a thread's even share.
 */
export function featuresPerClaim(nFeatures: number, threads: number, isRoot: boolean): number {
  return isRoot ? 1 : Math.max(1, Math.ceil(nFeatures / (2 * threads)));
}

/**
 * Builds `hist` for the features claimed from `ctl`'s counter ({@link Control.NextClaim}, by
 * {@link Control.Chunk}) until every feature is claimed.
 */
export function buildClaimedFeatures(
  ctl: Int32Array,
  hist: Float64Array,
  data: Pick<BinnedData, 'bins' | 'rows'>,
  gradients: Float32Array,
  hessians: Float32Array,
  partition: Int32Array,
  start: number,
  stop: number,
  isRoot: boolean,
  nFeatures: number,
): void {
  const chunk = Atomics.load(ctl, Control.Chunk);
  for (let from = Atomics.add(ctl, Control.NextClaim, chunk); from < nFeatures; from = Atomics.add(ctl, Control.NextClaim, chunk))
    accumulateHistogram(hist, data, gradients, hessians, partition, start, stop, isRoot, from, Math.min(nFeatures, from + chunk));
}

/**
 * Gradients, hessians and loss of the row blocks claimed from `ctl`'s counter, one at a time,
 * until every block is claimed; each block's loss goes to `blockLoss`.
 */
export function claimGradientBlocks(
  ctl: Int32Array,
  loss: GbdtLoss,
  y: Float64Array,
  raw: Float64Array,
  gradients: Float32Array,
  hessians: Float32Array,
  blockLoss: Float64Array,
): void {
  const nBlocks = lossBlocks(y.length);
  for (let k = Atomics.add(ctl, Control.NextClaim, 1); k < nBlocks; k = Atomics.add(ctl, Control.NextClaim, 1))
    blockLoss[k] = gradientBlock(loss, y, raw, gradients, hessians, k);
}

/** The shared buffers of one fit, and the threads that build its histograms and gradients. */
export class HistogramThreads {
  /** Per feature, the bins of every row (views on one shared buffer). */
  readonly bins: Uint8Array[];
  /** The same bins row-major. */
  readonly rows: Uint8Array;
  readonly gradients: Float32Array;
  readonly hessians: Float32Array;
  readonly partition: Int32Array;
  /** The labels, set once by the fit. */
  readonly y: Float64Array;
  /** The training rows' scores, updated by the fit after each tree. */
  readonly raw: Float64Array;
  private readonly blockLoss: Float64Array;
  private readonly arena: Float64Array;
  private readonly histSize: number;
  private slotsUsed = 0;
  private closed = false;

  private constructor(
    private readonly ctl: Int32Array,
    private readonly nHelpers: number,
    private readonly loss: GbdtLoss,
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
    this.y = new Float64Array(new SharedArrayBuffer(nRows * 8));
    this.raw = new Float64Array(new SharedArrayBuffer(nRows * 8));
    this.blockLoss = new Float64Array(new SharedArrayBuffer(lossBlocks(nRows) * 8));
    this.histSize = histogramSize(nFeatures);
    this.arena = new Float64Array(new SharedArrayBuffer(maxHistograms * this.histSize * 8));
  }

  /**
   * Threads for a fit of `nRows` × `nFeatures` holding at most `maxHistograms` histograms at
   * once, or null when one thread is asked for, the data is too small to gain, or helpers
   * cannot start (the fit then runs on its own thread).
   */
  static open(threads: number, loss: GbdtLoss, nRows: number, nFeatures: number, maxHistograms: number): HistogramThreads | null {
    const parts = Math.min(threads, nFeatures);
    if (parts < 2 || nRows * nFeatures < MIN_CELLS_FOR_THREADS) return null;
    const ctl = startHelpers(parts - 1);
    if (!ctl) return null;
    const self = new HistogramThreads(ctl, parts - 1, loss, nRows, nFeatures, maxHistograms);
    self.beginSession();
    return self;
  }

  private beginSession(): void {
    const sessions = Array.from({ length: this.nHelpers }, (): HistogramSession => {
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
        loss: this.loss,
        y: this.y.buffer as SharedArrayBuffer,
        raw: this.raw.buffer as SharedArrayBuffer,
        blockLoss: this.blockLoss.buffer as SharedArrayBuffer,
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
    Atomics.store(ctl, Control.NextClaim, 0);
    Atomics.store(ctl, Control.Chunk, featuresPerClaim(this.nFeatures, this.count, isRoot));
    together(ctl, Command.Build, this.nHelpers, () =>
      buildClaimedFeatures(ctl, hist, this, this.gradients, this.hessians, this.partition, start, stop, isRoot, this.nFeatures),
    );
  }

  /** The next round's gradients and hessians at {@link raw}, all threads at once; returns the mean training loss there. */
  gradientsAndLoss(): number {
    const ctl = this.ctl;
    Atomics.store(ctl, Control.NextClaim, 0);
    together(ctl, Command.Gradients, this.nHelpers, () =>
      claimGradientBlocks(ctl, this.loss, this.y, this.raw, this.gradients, this.hessians, this.blockLoss),
    );
    return meanLoss(this.blockLoss, this.blockLoss.length, this.nRows);
  }

  /** Ends the fit: the helpers let go of its buffers and wait for the next one. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    endSession(this.ctl, this.nHelpers);
  }
}
