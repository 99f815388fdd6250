import fc from 'fast-check';
import { driftReport, ksTwoSample, ksTwoSamplePValue, normalizedWasserstein, wassersteinDistance } from '../drift';
import { meanAndStd } from '../stats';
import {
  NumericWindow,
  buildProfile,
  createWindows,
  quantileSorted,
  sketchDriftReport,
  sketchKsStatistic,
  sketchWasserstein,
  type NumericFeatureProfile,
} from '.';

/** Fills a window summary from raw values, as the monitor does one event at a time. */
function windowOf(profile: NumericFeatureProfile, values: readonly number[]): NumericWindow {
  const w = new NumericWindow(profile);
  for (const v of values) w.add(v);
  return w;
}

const numericProfile = (values: readonly number[], bins?: number): NumericFeatureProfile =>
  buildProfile([{ name: 'x', type: 'numeric', values }], { bins }).features[0] as NumericFeatureProfile;

// Samples with ties (rounded values) and heavy shifts/scales, so bins are unevenly filled.
const sampleArb = fc
  .tuple(
    fc.integer({ min: 1, max: 400 }),
    fc.double({ min: -5, max: 5, noNaN: true }),
    fc.double({ min: 0.1, max: 10, noNaN: true }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer(),
  )
  .map(([n, shift, scale, decimals, seed]) => {
    let s = seed >>> 0 || 1;
    const next = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const f = 10 ** decimals;
    return Array.from({ length: n }, () => Math.round((shift + scale * (next() + next() + next() - 1.5)) * f) / f);
  });

describe('training-data profile', () => {
  it('closed forms on 0…100: count, missing share, min/max, mean, std, quantiles', () => {
    const values = [...Array.from({ length: 101 }, (_, i) => i), NaN, NaN];
    const p = numericProfile(values);
    expect([p.count, p.missing, p.min, p.max]).toEqual([101, 2, 0, 100]);
    expect(p.missingShare).toBeCloseTo(2 / 103, 15);
    expect(p.mean).toBe(50);
    expect(p.std).toBeCloseTo(Math.sqrt((101 * 101 - 1) / 12), 12);
    p.quantiles.probabilities.forEach((q, i) => expect(p.quantiles.values[i]).toBeCloseTo(100 * q, 10));
    expect(p.histogram.counts.reduce((s, c) => s + c, 0)).toBe(101);
    expect(p.values).toBeNull();
  });

  it('categorical frequencies and a JSON round trip', () => {
    const profile = buildProfile([
      { name: 'c', type: 'categorical', values: ['a', 'b', null, 'a'] },
      { name: 'n', type: 'numeric', values: Float64Array.of(1, 2, 2, 3) },
    ]);
    expect(profile.features[0]).toEqual({
      name: 'c',
      type: 'categorical',
      count: 3,
      missing: 1,
      missingShare: 0.25,
      frequencies: { a: 2, b: 1 },
    });
    expect((profile.features[1] as NumericFeatureProfile).values).toEqual({ values: [1, 2, 3], counts: [1, 2, 1] });
    expect(JSON.parse(JSON.stringify(profile))).toEqual(profile);
  });

  it("quantiles follow numpy's linear method (closed form on two points)", () => {
    expect(quantileSorted(Float64Array.of(1, 3), 0.25)).toBe(1.5);
  });
});

describe('window summaries', () => {
  it('Welford moments, min/max and missing share match the raw window', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, (ref, cur) => {
        const w = windowOf(numericProfile(ref), [...cur, NaN]);
        const exact = meanAndStd(cur);
        expect(Math.abs(w.mean - exact.mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(exact.mean)));
        expect(Math.abs(w.std - exact.std)).toBeLessThanOrEqual(1e-9 * Math.max(1, exact.std));
        expect(w.min === Math.min(...cur) && w.max === Math.max(...cur)).toBe(true);
        expect([w.count, w.missing]).toEqual([cur.length, 1]);
      }),
    );
  });

  it('histogram quantile estimate: rank error at most the mass of its bin', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, fc.double({ min: 0, max: 1, noNaN: true }), (ref, cur, p) => {
        const w = windowOf(numericProfile(ref, 10), cur);
        const q = w.quantile(p);
        const below = cur.filter((v) => v < q).length / cur.length;
        const atOrBelow = cur.filter((v) => v <= q).length / cur.length;
        const maxMass = Math.max(...w.counts) / w.count;
        expect(below).toBeLessThanOrEqual(p + maxMass + 1e-12);
        expect(atOrBelow).toBeGreaterThanOrEqual(p - maxMass - 1e-12);
      }),
    );
  });
});

describe('drift from sketches', () => {
  it('KS from binned CDFs: D_b ≤ D ≤ D_b + bound, and the p-value is bracketed accordingly (random data)', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, fc.integer({ min: 2, max: 60 }), (ref, cur, bins) => {
        const w = windowOf(numericProfile(ref, bins), cur);
        const { statistic, errorBound } = sketchKsStatistic(w);
        const exact = ksTwoSample(ref, cur);
        expect(statistic).toBeLessThanOrEqual(exact.statistic + 1e-12);
        expect(exact.statistic).toBeLessThanOrEqual(statistic + errorBound + 1e-12);
        const pSketch = ksTwoSamplePValue(statistic, ref.length, cur.length).pValue;
        expect(exact.pValue).toBeLessThanOrEqual(pSketch + 1e-12);
      }),
      { numRuns: 200 },
    );
  });

  it('Wasserstein from bin sums: W_b ≤ W ≤ W_b + bound (random data)', () => {
    fc.assert(
      fc.property(sampleArb, sampleArb, fc.integer({ min: 2, max: 60 }), (ref, cur, bins) => {
        const w = windowOf(numericProfile(ref, bins), cur);
        const { distance, errorBound } = sketchWasserstein(w);
        const exact = wassersteinDistance(ref, cur);
        const slack = 1e-9 * Math.max(1, exact);
        expect(distance).toBeLessThanOrEqual(exact + slack);
        expect(exact).toBeLessThanOrEqual(distance + errorBound + slack);
      }),
      { numRuns: 200 },
    );
  });

  it('categorical and few-valued numeric features give exactly the raw report', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 1500 }),
        fc.array(fc.constantFrom('a', 'b', 'c', 'e'), { minLength: 1, maxLength: 300 }),
        // At most five distinct values in all: Evidently's categorical path, exact from value counts.
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 1500 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 300 }),
        (cr, cc, nr, nc) => {
          const profile = buildProfile([
            { name: 'c', type: 'categorical', values: cr },
            {
              name: 'n',
              type: 'numeric',
              values: nr.slice(0, cr.length).concat(Array<number>(Math.max(0, cr.length - nr.length)).fill(NaN)),
            },
          ]);
          const refN = nr.slice(0, cr.length);
          const windows = createWindows(profile.features);
          for (const v of cc) (windows.get('c') as { add(v: string): void }).add(v);
          for (const v of nc) (windows.get('n') as NumericWindow).add(v);
          for (const test of [undefined, 'psi', 'jensenshannon'] as const) {
            const sketch = sketchDriftReport(profile, windows, { test });
            const raw = driftReport(
              [
                { name: 'c', type: 'categorical', reference: cr, current: cc },
                { name: 'n', type: 'numeric', reference: refN, current: nc },
              ],
              { test },
            );
            sketch.columns.forEach((c, i) => {
              expect(c.test).toBe(raw.columns[i].test);
              expect(c.errorBound).toBe(0);
              const expected = raw.columns[i].statistic;
              if (Number.isFinite(expected))
                expect(Math.abs(c.statistic - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
              else expect(c.statistic).toBe(expected);
              expect(c.drifted).toBe(raw.columns[i].drifted);
            });
            expect(sketch.dataset.drifted).toBe(raw.dataset.drifted);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('report from sketches uses the same defaults: KS for a small numeric reference, normed Wasserstein above 1000 rows', () => {
    const ref = Array.from({ length: 800 }, (_, i) => ((i * 7919) % 997) / 99.7);
    const cur = ref.map((v) => v + 1.5);
    const small = buildProfile([{ name: 'x', type: 'numeric', values: ref }]);
    const ws = createWindows(small.features);
    for (const v of cur) (ws.get('x') as NumericWindow).add(v);
    const r = sketchDriftReport(small, ws);
    expect(r.columns[0].test).toBe('ks');
    expect(r.columns[0].drifted).toBe(true);

    const bigRef = [...ref, ...ref];
    const big = buildProfile([{ name: 'x', type: 'numeric', values: bigRef }]);
    const wb = createWindows(big.features);
    for (const v of cur) (wb.get('x') as NumericWindow).add(v);
    const rb = sketchDriftReport(big, wb).columns[0];
    expect(rb.test).toBe('wasserstein');
    const exact = normalizedWasserstein(bigRef, cur);
    expect(rb.statistic).toBeLessThanOrEqual(exact + 1e-12);
    expect(exact).toBeLessThanOrEqual(rb.statistic + rb.errorBound + 1e-12);
  });
});
