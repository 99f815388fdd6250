import { Rng } from '../random/rng';
import { findBinThresholds, mapToBins } from './hist-binning';

describe('findBinThresholds', () => {
  it('uses midpoints between distinct values when there are few, ignoring missing values', () => {
    const t = findBinThresholds(Float64Array.from([3, 1, Number.NaN, 2, 1, 3]), 255, new Rng(0));
    expect(Array.from(t)).toEqual([1.5, 2.5]);
  });

  it('uses quantiles otherwise, giving bins of near-equal counts', () => {
    const rng = new Rng(2);
    const values = Float64Array.from({ length: 10_000 }, () => rng.normal());
    const t = findBinThresholds(values, 16, rng);
    expect(t).toHaveLength(15);
    const bins = new Uint8Array(values.length);
    mapToBins(values, t, 16, bins);
    const counts = new Array(16).fill(0);
    for (const b of bins) counts[b]++;
    for (const c of counts) expect(Math.abs(c - 10_000 / 16)).toBeLessThanOrEqual(1);
  });

  it('maps values to bins by "threshold[i-1] < x ≤ threshold[i]" and missing to its own bin', () => {
    const out = new Uint8Array(5);
    mapToBins(Float64Array.from([1.5, 1.6, -5, 99, Number.NaN]), Float64Array.from([1.5, 2.5]), 255, out);
    expect(Array.from(out)).toEqual([0, 1, 0, 2, 255]);
  });

  it('puts every value in the bin counting the thresholds below it, for any number of thresholds', () => {
    const rng = new Rng(17);
    for (const m of [0, 1, 2, 3, 7, 8, 31, 254]) {
      const thresholds = Float64Array.from({ length: m }, (_, i) => i - m / 2 + rng.next() * 0.5);
      // Values on the thresholds, between them, beyond both ends, and missing.
      const values = Float64Array.from({ length: 2000 }, (_, i) => {
        if (i % 10 === 0 && m > 0) return thresholds[rng.nextInt(m)];
        if (i % 97 === 0) return Number.NaN;
        if (i % 101 === 0) return i % 2 === 0 ? Infinity : -Infinity;
        return (rng.next() - 0.5) * (m + 4);
      });
      const bins = new Uint8Array(values.length);
      mapToBins(values, thresholds, 255, bins);
      values.forEach((v, i) => expect([v, bins[i]]).toEqual([v, Number.isNaN(v) ? 255 : thresholds.filter((t) => t < v).length]));
    }
  });
});
