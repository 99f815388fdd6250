import { Rng } from '../random/rng';
import { fitGbdt } from './hist-gradient-boosting';
import { MIN_CELLS_FOR_THREADS, featureBlock, stopHistogramThreads } from './histogram-threads';

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

  it('split the features in blocks that cover each once', () => {
    for (const [parts, n] of [
      [2, 20],
      [3, 7],
      [4, 4],
    ]) {
      const blocks = Array.from({ length: parts }, (_, k) => featureBlock(k, parts, n));
      expect(blocks[0].from).toBe(0);
      expect(blocks[parts - 1].to).toBe(n);
      for (let k = 1; k < parts; k++) expect(blocks[k].from).toBe(blocks[k - 1].to);
      for (const b of blocks) expect(b.to).toBeGreaterThan(b.from);
    }
  });

  it('refuse a thread count that is not a positive integer', () => {
    const { x, y } = data(100, 1);
    expect(() => fitGbdt(x, y, { loss: 'log_loss', threads: 0 })).toThrow('threads must be an integer ≥ 1, got 0');
  });
});
