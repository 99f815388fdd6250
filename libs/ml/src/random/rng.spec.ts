import fc from 'fast-check';
import { Rng } from './rng';

describe('Rng', () => {
  it('repeats its sequence for a seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    const sb = Array.from({ length: 20 }, () => b.nextUint32());
    const sc = Array.from({ length: 20 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('gives uniform doubles in [0, 1) with the right mean and variance', () => {
    const rng = new Rng(1);
    const n = 100_000;
    let s = 0;
    let ss = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      s += u;
      ss += u * u;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const mean = s / n;
    // Standard error of the mean is sqrt(1/12 / n) ≈ 0.0009: 5 SE bounds.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.0046);
    expect(Math.abs(ss / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('draws every integer below the bound about equally often', () => {
    const rng = new Rng(7);
    const counts = new Array(6).fill(0);
    const n = 60_000;
    for (let i = 0; i < n; i++) counts[rng.nextInt(6)]++;
    // Chi-square with 5 degrees of freedom; 20.5 is its 0.999 quantile.
    const chi2 = counts.reduce((acc, c) => acc + (c - n / 6) ** 2 / (n / 6), 0);
    expect(chi2).toBeLessThan(20.5);
  });

  it('gives standard normal deviates', () => {
    const rng = new Rng(3);
    const n = 50_000;
    let s = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z;
      ss += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.025);
    expect(Math.abs(ss / n - 1)).toBeLessThan(0.03);
  });

  it('shuffles into a permutation, deterministically', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const p = new Rng(seed).permutation(n);
        expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
        expect(new Rng(seed).permutation(n)).toEqual(p);
      }),
    );
  });

  it('forks independent streams without disturbing determinism', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    expect(a.fork().nextUint32()).toBe(b.fork().nextUint32());
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('rejects bad seeds and bounds', () => {
    expect(() => new Rng(Number.NaN)).toThrow(/seed/);
    expect(() => new Rng(1).nextInt(0)).toThrow(/bound/);
  });
});
