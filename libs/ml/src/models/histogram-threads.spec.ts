import { Rng } from '../random/rng';
import { fitGbdt } from './hist-gradient-boosting';
import { Control } from './helper-threads';
import { accumulateHistogram, histogramSize } from './hist-tree';
import { MIN_CELLS_FOR_THREADS, buildClaimedFeatures, featuresPerClaim, stopHistogramThreads } from './histogram-threads';

/** Rows × 7 features with missing values and a label that needs several of them. */
function data(rows: number, seed: number): { x: Float64Array[]; y: Float64Array } {
  const rng = new Rng(seed);
  const x = Array.from({ length: 7 }, () => new Float64Array(rows));
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < 7; f++) x[f][i] = rng.next() < 0.05 ? Number.NaN : rng.normal();
    const z = (x[0][i] || 0) - 0.7 * (x[3][i] || 0) + (Number.isNaN(x[5][i]) ? 1.5 : 0.4 * x[5][i] * x[6][i]);
    y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { x, y };
}

afterAll(() => stopHistogramThreads());

describe('histogram threads', () => {
  it('grow the same trees as one thread, and really take part', () => {
    // Enough rows that the 90% left for training after the early-stopping split still qualifies.
    const rows = Math.ceil(MIN_CELLS_FOR_THREADS / 7 / 0.8);
    const { x, y } = data(rows, 11);
    const options = { loss: 'log_loss' as const, maxIter: 12, earlyStopping: true, seed: 5 };
    const one = fitGbdt(x, y, { ...options, threads: 1 });
    const three = fitGbdt(x, y, { ...options, threads: 3 });
    expect(one.threads).toBe(1);
    expect(three.threads).toBe(3);
    expect(three.model).toEqual(one.model);
    expect(three.trainLoss).toEqual(one.trainLoss);
    // The helpers stay for the next fit: a second threaded fit reuses them, and one with fewer
    // threads leaves the spare helper out.
    expect(fitGbdt(x, y, { ...options, threads: 3 }).model).toEqual(one.model);
    const two = fitGbdt(x, y, { ...options, threads: 2 });
    expect(two.threads).toBe(2);
    expect(two.model).toEqual(one.model);
  });

  it('are not started for data too small to gain from them', () => {
    const { x, y } = data(500, 2);
    expect(fitGbdt(x, y, { loss: 'log_loss', maxIter: 3, threads: 4 }).threads).toBe(1);
  });

  it('claim every feature once, in chunks, whatever the chunk', () => {
    const rows = 300;
    const nFeatures = 7;
    const rng = new Rng(3);
    const bins = Array.from({ length: nFeatures }, () => Uint8Array.from({ length: rows }, () => Math.floor(rng.next() * 256)));
    const rowMajor = new Uint8Array(rows * nFeatures);
    bins.forEach((column, f) => column.forEach((b, i) => (rowMajor[i * nFeatures + f] = b)));
    const data = { bins, rows: rowMajor };
    const gradients = Float32Array.from({ length: rows }, () => rng.normal());
    const hessians = Float32Array.from({ length: rows }, () => rng.next());
    // A node's scattered rows, as after a few splits.
    const partition = Int32Array.from({ length: rows }, (_, i) => (i * 7) % rows);
    for (const isRoot of [true, false]) {
      const whole = new Float64Array(histogramSize(nFeatures));
      accumulateHistogram(whole, data, gradients, hessians, partition, 0, rows, isRoot, 0, nFeatures);
      for (const chunk of [1, 3, nFeatures, 100]) {
        const ctl = new Int32Array(Control.Length);
        ctl[Control.Chunk] = chunk;
        const claimed = new Float64Array(histogramSize(nFeatures));
        buildClaimedFeatures(ctl, claimed, data, gradients, hessians, partition, 0, rows, isRoot, nFeatures);
        expect(claimed).toEqual(whole);
        expect(ctl[Control.NextClaim]).toBeGreaterThanOrEqual(nFeatures);
      }
    }
    expect(featuresPerClaim(20, 2, true)).toBe(1);
    expect(featuresPerClaim(20, 2, false)).toBe(5);
    expect(featuresPerClaim(3, 8, false)).toBe(1);
  });

  it('refuse a thread count that is not a positive integer', () => {
    const { x, y } = data(100, 1);
    expect(() => fitGbdt(x, y, { loss: 'log_loss', threads: 0 })).toThrow('threads must be an integer ≥ 1, got 0');
  });
});
