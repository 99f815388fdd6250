import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chiSquareSf, gammaP, gammaQ, kolmogorovSmirnovSf, normalCdf, normalSf } from '.';

const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/drift-ks.json'), 'utf8')) as {
  kstwoSf: [number, number, number][];
  chi2Sf: [number, number, number][];
  normalCdf: [number, number][];
};

const relErr = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));

describe('special functions against scipy 1.10', () => {
  // kstwo: 2e-12 relative (scipy sums the Smirnov series in double-double; we use log-space terms).
  it.each(fixture.kstwoSf.map(([n, x, p]) => [n, x, p]))('kstwo.sf(%p, n=%p)', (n, x, p) => {
    const q = kolmogorovSmirnovSf(n, x);
    if (p < 1e-300) expect(q).toBeLessThan(1e-290);
    else expect(relErr(q, p)).toBeLessThan(2e-12);
  });

  // chi2.sf: 1e-12 relative (series/continued fraction instead of Cephes igamc's asymptotic branch).
  it.each(fixture.chi2Sf.map(([df, x, p]) => [df, x, p]))('chi2.sf(df=%p, %p)', (df, x, p) => {
    const q = chiSquareSf(x, df);
    if (p < 1e-300) expect(q).toBeLessThan(1e-290);
    else expect(relErr(q, p)).toBeLessThan(1e-12);
  });

  // ndtr is a direct port of Cephes: 4e-16 relative.
  it('normal CDF over [-38, 9]', () => {
    for (const [x, p] of fixture.normalCdf) expect(relErr(normalCdf(x), p)).toBeLessThan(4e-16);
  });

  it('closed forms: P + Q = 1, Q(1, x) = e^(−x), chi2 with 2 df, Φ(0) = ½, symmetry', () => {
    for (const x of [0.1, 1, 3.7, 25]) {
      expect(gammaP(2.5, x) + gammaQ(2.5, x)).toBeCloseTo(1, 14);
      expect(relErr(gammaQ(1, x), Math.exp(-x))).toBeLessThan(1e-14);
      expect(relErr(chiSquareSf(x, 2), Math.exp(-x / 2))).toBeLessThan(1e-14);
      expect(normalSf(x)).toBe(normalCdf(-x));
    }
    expect(normalCdf(0)).toBe(0.5);
  });

  it('Kolmogorov closed forms: Ruben–Gambino ends and n = 1', () => {
    // n·x ≥ n − 1: P(D_n ≥ x) = 2(1 − x)^n.
    expect(relErr(kolmogorovSmirnovSf(10, 0.95), 2 * 0.05 ** 10)).toBeLessThan(1e-12);
    // n = 1: D_1 is uniform on [½, 1], so P(D_1 ≥ x) = 2(1 − x) for x ≥ ½.
    expect(relErr(kolmogorovSmirnovSf(1, 0.7), 0.6)).toBeLessThan(1e-14);
    expect(kolmogorovSmirnovSf(50, 0)).toBe(1);
    expect(kolmogorovSmirnovSf(50, 1)).toBe(0);
  });
});
