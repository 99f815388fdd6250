import fc from 'fast-check';
import { driftReport, jensenShannonDistance, ksTwoSample, normalizedWasserstein, populationStabilityIndex, wassersteinDistance } from '.';
import { chiSquareFromCounts } from './chi-square';

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const sample = (min: number, max: number) => fc.array(finite, { minLength: min, maxLength: max });
const freq = (k: number) =>
  fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: k, maxLength: k }).filter((a) => a.some((x) => x > 0));

describe('drift statistics: properties', () => {
  it('identical samples: KS D = 0 and p = 1, Wasserstein 0, no column drifts', () => {
    fc.assert(
      fc.property(sample(1, 300), (a) => {
        const r = ksTwoSample(a, a);
        expect(r.statistic).toBe(0);
        expect(r.pValue).toBe(1);
        expect(wassersteinDistance(a, a)).toBe(0);
        const report = driftReport([{ name: 'x', type: 'numeric', reference: a, current: [...a].reverse() }]);
        expect(report.columns[0].drifted).toBe(false);
        expect(report.dataset.drifted).toBe(false);
      }),
    );
  });

  it('identical category frequencies: JS = 0, PSI = 0, chi-square p = 1', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 2, maxLength: 12 }), (counts) => {
        expect(jensenShannonDistance(counts, counts)).toBe(0);
        const total = counts.reduce((s, c) => s + c, 0);
        const shares = counts.map((c) => c / total);
        expect(populationStabilityIndex(shares, shares)).toBe(0);
        expect(chiSquareFromCounts(counts, counts).pValue).toBeCloseTo(1, 12);
      }),
    );
  });

  it('clearly shifted samples drift, by KS (small reference) and by Wasserstein (large reference)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 30, maxLength: 1500 }),
        fc.double({ min: 2, max: 50, noNaN: true }),
        (a, shift) => {
          const b = a.map((x) => x + shift);
          const report = driftReport([{ name: 'x', type: 'numeric', reference: a, current: b }]);
          const distinct = new Set([...a, ...b]).size;
          if (distinct > 5) {
            expect(report.columns[0].test).toBe(a.length <= 1000 ? 'ks' : 'wasserstein');
            expect(report.columns[0].drifted).toBe(true);
          }
          expect(ksTwoSample(a, b).statistic).toBe(1);
          expect(normalizedWasserstein(a, b)).toBeGreaterThanOrEqual(0.1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('symmetry: KS statistic, unnormalised Wasserstein, Jensen–Shannon', () => {
    fc.assert(
      fc.property(sample(1, 200), sample(1, 200), (a, b) => {
        expect(ksTwoSample(a, b).statistic).toBe(ksTwoSample(b, a).statistic);
        const w1 = wassersteinDistance(a, b);
        const w2 = wassersteinDistance(b, a);
        expect(Math.abs(w1 - w2)).toBeLessThanOrEqual(1e-12 * Math.max(1, w1));
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((k) => fc.tuple(freq(k), freq(k))),
        ([p, q]) => {
          expect(Math.abs(jensenShannonDistance(p, q) - jensenShannonDistance(q, p))).toBeLessThanOrEqual(1e-15);
        },
      ),
    );
  });

  it('ranges: KS p-value in [0, 1], JS distance in [0, √ln 2], Wasserstein ≥ 0', () => {
    fc.assert(
      fc.property(sample(1, 120), sample(1, 120), (a, b) => {
        const r = ksTwoSample(a, b);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        expect(wassersteinDistance(a, b)).toBeGreaterThanOrEqual(0);
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((k) => fc.tuple(freq(k), freq(k))),
        ([p, q]) => {
          const js = jensenShannonDistance(p, q);
          expect(js).toBeGreaterThanOrEqual(0);
          expect(js).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-15);
        },
      ),
    );
  });
});
