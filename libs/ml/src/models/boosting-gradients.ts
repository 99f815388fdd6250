/**
 * The gradients, hessians and loss of a boosting round, row block by row block: on one thread
 * or shared between several (histogram-threads.ts), the loss of each block of rows is summed
 * alone and the blocks' sums are added in order, so the loss is the same double on any number
 * of threads.
 */
import { type GbdtLoss } from './hist-gradient-boosting';

/** Rows whose losses are summed together. */
export const LOSS_BLOCK_ROWS = 8192;

/** Blocks of {@link LOSS_BLOCK_ROWS} covering `nRows`. */
export function lossBlocks(nRows: number): number {
  return Math.ceil(nRows / LOSS_BLOCK_ROWS);
}

/**
 * Gradients and hessians of block `k`'s rows at scores `raw` (hessians are left alone for
 * squared error: they stay 1); returns the block's summed loss (half squared error, or binomial
 * log loss).
 */
export function gradientBlock(
  loss: GbdtLoss,
  y: Float64Array,
  raw: Float64Array,
  gradients: Float32Array,
  hessians: Float32Array,
  k: number,
): number {
  const from = k * LOSS_BLOCK_ROWS;
  const to = Math.min(y.length, from + LOSS_BLOCK_ROWS);
  let s = 0;
  if (loss === 'squared_error') {
    for (let i = from; i < to; i++) {
      const d = raw[i] - y[i];
      gradients[i] = d;
      s += 0.5 * d * d;
    }
    return s;
  }
  for (let i = from; i < to; i++) {
    const z = raw[i];
    // e = exp(−|z|) gives both σ(z) and log(1 + e^{−|z|}) without overflow.
    const e = Math.exp(z > 0 ? -z : z);
    const p = z > 0 ? 1 / (1 + e) : e / (1 + e);
    s += (z > 0 ? z : 0) + Math.log1p(e) - y[i] * z;
    gradients[i] = p - y[i];
    hessians[i] = p * (1 - p);
  }
  return s;
}

/** The mean of the blocks' summed losses, added in block order. */
export function meanLoss(blockLoss: Float64Array, nBlocks: number, nRows: number): number {
  let s = 0;
  for (let k = 0; k < nBlocks; k++) s += blockLoss[k];
  return s / nRows;
}
