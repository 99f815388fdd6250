/**
 * Batch scoring by a forest on several cores, as scikit-learn's boosted trees predict with
 * OpenMP: the calling thread encodes a block of rows into shared memory, then it and its
 * helpers (helper-threads.ts) score their own share of the block's rows. Each row's score sums
 * the same trees in the same order as on one thread, so the scores are identical.
 */
import { type Forest, forestColumns } from './forest';
import { beginSession, Command, Control, endSession, evenPart, together, type ForestSession, startHelpers } from './helper-threads';

/** Below this many row-tree walks a batch is scored before helpers would pay for themselves. */
export const MIN_WALKS_FOR_THREADS = 1_000_000;

/** Fewest rows of a block each thread scores: fewer, and waking the helpers costs more than they save. */
const MIN_ROWS_PER_THREAD = 256;

/** Each forest copied to shared memory once, for every batch it scores on threads. */
const sharedForests = new WeakMap<Forest, Forest>();

function shared<T extends Int32Array | Float64Array | Uint8Array>(array: T): T {
  const copy = new (array.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(array.byteLength));
  copy.set(array as never);
  return copy;
}

function sharedForest(forest: Forest): Forest {
  let copy = sharedForests.get(forest);
  if (!copy) {
    copy = {
      baseline: forest.baseline,
      roots: shared(forest.roots),
      links: shared(forest.links),
      threshold: shared(forest.threshold),
      missingRight: shared(forest.missingRight),
      value: shared(forest.value),
    };
    sharedForests.set(forest, copy);
  }
  return copy;
}

/** The shared block of one batch, and the threads scoring it. */
export class ForestThreads {
  /** The block's model inputs: the caller writes a block's rows here before {@link score}. */
  readonly columns: Float64Array[];
  private readonly out: Float64Array;
  private closed = false;

  private constructor(
    private readonly ctl: Int32Array,
    private readonly nHelpers: number,
    private readonly forest: Forest,
    width: number,
    readonly blockRows: number,
  ) {
    const columns = new SharedArrayBuffer(width * blockRows * 8);
    this.columns = Array.from({ length: width }, (_, j) => new Float64Array(columns, j * blockRows * 8, blockRows));
    this.out = new Float64Array(new SharedArrayBuffer(blockRows * 8));
    const sessions = Array.from({ length: nHelpers }, (): ForestSession => ({
      kind: 'forest',
      baseline: forest.baseline,
      roots: forest.roots.buffer as SharedArrayBuffer,
      links: forest.links.buffer as SharedArrayBuffer,
      threshold: forest.threshold.buffer as SharedArrayBuffer,
      missingRight: forest.missingRight.buffer as SharedArrayBuffer,
      value: forest.value.buffer as SharedArrayBuffer,
      columns,
      out: this.out.buffer as SharedArrayBuffer,
      width,
      blockRows,
    }));
    beginSession(ctl, sessions);
  }

  /**
   * Threads to score `nRows` rows of `width` inputs in blocks of `blockRows`, or null when one
   * thread is asked for, the batch is too small to gain, or helpers cannot start (the batch is
   * then scored on the calling thread).
   */
  static open(forest: Forest, threads: number, width: number, nRows: number, blockRows: number): ForestThreads | null {
    const parts = Math.min(threads, Math.floor(Math.min(nRows, blockRows) / MIN_ROWS_PER_THREAD));
    if (parts < 2 || nRows * forest.roots.length < MIN_WALKS_FOR_THREADS) return null;
    const ctl = startHelpers(parts - 1);
    if (!ctl) return null;
    return new ForestThreads(ctl, parts - 1, sharedForest(forest), width, Math.min(nRows, blockRows));
  }

  /** Threads scoring each block, the calling one included. */
  get count(): number {
    return this.nHelpers + 1;
  }

  /** Scores the first `n` rows of the block, all threads at once, into `into` (the baseline plus every tree's value). */
  score(n: number, into: Float64Array): void {
    const out = this.out;
    out.fill(this.forest.baseline, 0, n);
    Atomics.store(this.ctl, Control.Start, n);
    together(this.ctl, Command.Score, this.nHelpers, () => scoreShare(this.forest, this.columns, out, 0, this.count, n));
    into.set(out.subarray(0, n));
  }

  /** Ends the batch: the helpers let go of its buffers and wait for the next call. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    endSession(this.ctl, this.nHelpers);
  }
}

/** Thread `k` of `parts` adds the trees' values to its share of the block's first `n` rows in `out`. */
export function scoreShare(forest: Forest, columns: readonly Float64Array[], out: Float64Array, k: number, parts: number, n: number): void {
  const { from, to } = evenPart(k, parts, n);
  forestColumns(
    forest,
    columns.map((c) => c.subarray(from, to)),
    out.subarray(from, to),
  );
}
