import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  benjaminiHochberg,
  chiSquare,
  driftReport,
  fillZeroShares,
  jensenShannonDistance,
  ksTwoSample,
  normalizedWasserstein,
  populationStabilityIndex,
  sturgesEdges,
  wassersteinDistance,
  type KsMethod,
} from '.';

const revive = (_k: string, v: unknown): unknown => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === 'nan' ? NaN : v);
const load = <T>(name: string): T => JSON.parse(readFileSync(join(__dirname, '../../fixtures', name), 'utf8'), revive) as T;

interface Recipe {
  n: number;
  mult: number;
  mod: number;
  scale?: number;
  shift?: number;
}
type Sample = { values: number[] } | { recipe: Recipe };
interface KsCase {
  name: string;
  a: Sample;
  b: Sample;
  auto: { statistic: number; pValue: number };
  exact: { statistic: number; pValue: number };
  asymp: { statistic: number; pValue: number };
  wasserstein: number;
}

/** The generator's integer recipe for large samples: ((i·mult) mod m)/m·scale + shift. */
function build(s: Sample): Float64Array {
  if ('values' in s) return Float64Array.from(s.values);
  const { n, mult, mod, scale = 1, shift = 0 } = s.recipe;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (((i * mult) % mod) / mod) * scale + shift;
  return out;
}

const relErr = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), 1e-300));
const ks = load<{ ks: KsCase[] }>('drift-ks.json');
const st = load<{
  chisquare: { observed: number[]; expected: number[]; statistic: number; pValue: number }[];
  jensenshannon: { p: number[]; q: number[]; natural: number; base2: number }[];
  evidently: {
    data: Record<'categorical' | 'binary' | 'numeric' | 'fewValues', { reference: (string | number)[]; current: (string | number)[] }>;
    expected: {
      categorical: { chisquare: [number, number]; psi: number; jensenshannon: number };
      binary: { z: [number, number]; chisquare: [number, number] };
      numeric: { ks: [number, number]; wasserstein: number; psi: number; jensenshannon: number; sturgesEdges: number[] };
      fewValues: { chisquare: [number, number]; psi: number; jensenshannon: number };
    };
  };
  large: {
    numeric: { reference: number[]; current: number[]; wasserstein: number };
    categorical: { reference: string[]; current: string[]; jensenshannon: number };
  };
}>('drift-statistics.json');

describe('ks_2samp against scipy 1.10', () => {
  // Statistic: exact to 1e-15. p-value: 1e-10 relative for exact lattice counts and for
  // kstwo-based 'asymp' (below 1e-300 both are treated as 0).
  describe.each(ks.ks.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const a = build(c.a);
    const b = build(c.b);
    it.each(['auto', 'exact', 'asymp'] as KsMethod[])('method %s', (method) => {
      const expected = c[method];
      const r = ksTwoSample(a, b, { method });
      expect(Math.abs(r.statistic - expected.statistic)).toBeLessThanOrEqual(1e-15);
      if (expected.pValue < 1e-300) expect(r.pValue).toBeLessThan(1e-290);
      else expect(relErr(r.pValue, expected.pValue)).toBeLessThan(1e-10);
    });
    it('wasserstein_distance (1e-12 relative)', () => {
      expect(relErr(wassersteinDistance(a, b), c.wasserstein)).toBeLessThan(1e-12);
    });
  });

  it("'auto' is exact up to 10 000 values per sample and asymptotic beyond, as scipy", () => {
    const small = ksTwoSample([1, 2, 3, 4], [2.5, 3.5, 5]);
    expect(small.method).toBe('exact');
    const big = ksTwoSample(build({ recipe: { n: 10_001, mult: 7919, mod: 10007 } }), [0.5, 0.25]);
    expect(big.method).toBe('asymp');
  });
});

describe('chi-square, Jensen–Shannon, PSI against scipy / Evidently formulas', () => {
  // Chi-square statistic 1e-12 relative, p-value 1e-11 relative.
  it.each(st.chisquare.map((c, i) => [i, c] as const))('scipy.stats.chisquare case %p', (_i, c) => {
    const r = chiSquare(c.observed, c.expected);
    expect(relErr(r.statistic, c.statistic)).toBeLessThan(1e-12);
    expect(relErr(r.pValue, c.pValue)).toBeLessThan(1e-11);
  });

  it('chisquare refuses totals that differ by more than 1e-8, as scipy 1.10', () => {
    expect(() => chiSquare([10, 10], [10, 11])).toThrow(/1e-8/);
  });

  // Jensen–Shannon: 1e-13 relative.
  it.each(st.jensenshannon.map((c, i) => [i, c] as const))('scipy.spatial.distance.jensenshannon case %p', (_i, c) => {
    expect(relErr(jensenShannonDistance(c.p, c.q), c.natural)).toBeLessThan(1e-13);
    expect(relErr(jensenShannonDistance(c.p, c.q, 2), c.base2)).toBeLessThan(1e-13);
  });

  it("Sturges edges are numpy's histogram_bin_edges(..., 'sturges') bit for bit", () => {
    const { reference, current } = st.evidently.data.numeric as { reference: number[]; current: number[] };
    const all = [...reference, ...current];
    const edges = sturgesEdges(Math.min(...all), Math.max(...all), all.length);
    expect(Array.from(edges)).toEqual(st.evidently.expected.numeric.sturgesEdges);
  });

  it('PSI closed form and zero filling', () => {
    expect(populationStabilityIndex([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(Array.from(fillZeroShares([0, 0.5, 0.5]))).toEqual([0.0001, 0.5, 0.5]);
    expect(Array.from(fillZeroShares([0, 0.00005, 0.99995]))).toEqual([0.00005 / 1e6, 0.00005, 0.99995]);
  });
});

describe('driftReport: Evidently defaults and its statistics (1e-10 relative to the fixtures)', () => {
  const d = st.evidently.data;
  const e = st.evidently.expected;
  const near = (actual: number | null, expected: number): void => expect(relErr(actual as number, expected)).toBeLessThan(1e-10);

  it('small reference: ks for numeric, chi-square for categorical, z for binary, chi-square for ≤ 5 numeric values', () => {
    const report = driftReport([
      { name: 'num', type: 'numeric', reference: d.numeric.reference as number[], current: d.numeric.current as number[] },
      { name: 'cat', type: 'categorical', reference: d.categorical.reference as string[], current: d.categorical.current as string[] },
      { name: 'bin', type: 'categorical', reference: d.binary.reference as string[], current: d.binary.current as string[] },
      { name: 'few', type: 'numeric', reference: d.fewValues.reference as number[], current: d.fewValues.current as number[] },
    ]);
    const [num, cat, bin, few] = report.columns;
    expect([num.test, cat.test, bin.test, few.test]).toEqual(['ks', 'chisquare', 'z', 'chisquare']);
    near(num.statistic, e.numeric.ks[0]);
    near(num.pValue, e.numeric.ks[1]);
    near(cat.statistic, e.categorical.chisquare[0]);
    near(cat.pValue, e.categorical.chisquare[1]);
    near(bin.statistic, e.binary.z[0]);
    near(bin.pValue, e.binary.z[1]);
    near(few.pValue, e.fewValues.chisquare[1]);
    for (const c of report.columns) {
      expect(c.threshold).toBe(0.05);
      expect(c.drifted).toBe((c.pValue as number) < 0.05);
    }
    expect(report.dataset.numberOfDriftedColumns).toBe(report.columns.filter((c) => c.drifted).length);
  });

  it('overrides: PSI and Jensen–Shannon on binned numerics and categories; wasserstein; chi-square on a binary column', () => {
    const report = driftReport(
      [
        { name: 'num', type: 'numeric', reference: d.numeric.reference as number[], current: d.numeric.current as number[] },
        { name: 'numjs', type: 'numeric', reference: d.numeric.reference as number[], current: d.numeric.current as number[] },
        { name: 'numw', type: 'numeric', reference: d.numeric.reference as number[], current: d.numeric.current as number[] },
        { name: 'cat', type: 'categorical', reference: d.categorical.reference as string[], current: d.categorical.current as string[] },
        { name: 'catjs', type: 'categorical', reference: d.categorical.reference as string[], current: d.categorical.current as string[] },
        { name: 'bin', type: 'categorical', reference: d.binary.reference as string[], current: d.binary.current as string[] },
        { name: 'few', type: 'numeric', reference: d.fewValues.reference as number[], current: d.fewValues.current as number[] },
        { name: 'fewjs', type: 'numeric', reference: d.fewValues.reference as number[], current: d.fewValues.current as number[] },
      ],
      {
        test: 'psi',
        columns: {
          numjs: { test: 'jensenshannon' },
          numw: { test: 'wasserstein', threshold: 0.2 },
          catjs: { test: 'jensenshannon' },
          bin: { test: 'chisquare' },
          fewjs: { test: 'jensenshannon' },
        },
      },
    );
    const by = Object.fromEntries(report.columns.map((c) => [c.name, c]));
    near(by.num.statistic, e.numeric.psi);
    near(by.numjs.statistic, e.numeric.jensenshannon);
    near(by.numw.statistic, e.numeric.wasserstein);
    expect(by.numw.threshold).toBe(0.2);
    near(by.cat.statistic, e.categorical.psi);
    near(by.catjs.statistic, e.categorical.jensenshannon);
    near(by.bin.pValue, e.binary.chisquare[1]);
    near(by.few.statistic, e.fewValues.psi);
    near(by.fewjs.statistic, e.fewValues.jensenshannon);
    expect(by.num.pValue).toBeNull();
    expect(by.num.drifted).toBe(by.num.statistic >= 0.1);
  });

  it('reference above 1000 rows: normed Wasserstein for numeric, Jensen–Shannon for categorical, drift at ≥ 0.1', () => {
    const l = st.large;
    const report = driftReport([
      { name: 'n', type: 'numeric', reference: Float64Array.from(l.numeric.reference), current: l.numeric.current },
      { name: 'c', type: 'categorical', reference: l.categorical.reference, current: l.categorical.current },
    ]);
    expect(report.columns.map((c) => c.test)).toEqual(['wasserstein', 'jensenshannon']);
    near(report.columns[0].statistic, l.numeric.wasserstein);
    near(report.columns[1].statistic, l.categorical.jensenshannon);
    for (const c of report.columns) {
      expect(c.threshold).toBe(0.1);
      expect(c.drifted).toBe(c.statistic >= 0.1);
    }
  });

  it('dictionary-encoded categorical columns with different dictionaries match plain values', () => {
    const ref = d.categorical.reference as string[];
    const cur = d.categorical.current as string[];
    const encode = (values: string[], dictionary: string[]) => ({
      codes: Int32Array.from(values, (v) => dictionary.indexOf(v)),
      dictionary,
    });
    const plain = driftReport([{ name: 'c', type: 'categorical', reference: ref, current: cur }]);
    const encoded = driftReport([
      { name: 'c', type: 'categorical', reference: encode(ref, ['d', 'c', 'b', 'a']), current: encode(cur, ['e', 'a', 'b', 'c', 'd']) },
    ]);
    expect(encoded.columns[0].pValue).toBe(plain.columns[0].pValue);
  });

  it('missing values are dropped; an all-missing column is an error naming it', () => {
    const withNaN = driftReport([
      { name: 'x', type: 'numeric', reference: [1, 2, NaN, 3, 4, 5, 6, 7], current: [2, 3, 4, 5, 6, 7, 8, Infinity] },
    ]);
    const without = driftReport([{ name: 'x', type: 'numeric', reference: [1, 2, 3, 4, 5, 6, 7], current: [2, 3, 4, 5, 6, 7, 8] }]);
    expect(withNaN.columns[0]).toEqual(without.columns[0]);
    expect(() => driftReport([{ name: 'empty', type: 'numeric', reference: [NaN], current: [1] }])).toThrow(/"empty"/);
    expect(() => driftReport([{ name: 'c', type: 'categorical', reference: ['a'], current: ['a'] }], { test: 'ks' })).toThrow(
      /"c".*numeric/,
    );
  });
});

describe('dataset drift', () => {
  const shifted = (shift: number, n = 200): number[] => Array.from({ length: n }, (_, i) => ((i * 37) % 101) / 10 + shift);
  const columns = [
    { name: 'a', type: 'numeric' as const, reference: shifted(0), current: shifted(3) },
    { name: 'b', type: 'numeric' as const, reference: shifted(0), current: shifted(0.05) },
    { name: 'c', type: 'numeric' as const, reference: shifted(0), current: shifted(0) },
  ];

  it("share rule: Evidently's share of drifted columns ≥ 0.5 by default, configurable", () => {
    const r = driftReport(columns);
    expect(r.dataset.numberOfDriftedColumns).toBe(1);
    expect(r.dataset.drifted).toBe(false);
    expect(driftReport(columns, { dataset: { method: 'share', share: 0.3 } }).dataset.drifted).toBe(true);
  });

  it('Benjamini–Hochberg rule: adjusted p-values decide columns, any rejection flags the dataset', () => {
    const r = driftReport(columns, { dataset: { method: 'benjamini-hochberg', fdr: 0.05 } });
    const adjusted = benjaminiHochberg(r.columns.map((c) => c.pValue as number));
    r.columns.forEach((c, i) => {
      expect(c.adjustedPValue).toBe(adjusted[i]);
      expect(c.drifted).toBe(adjusted[i] <= 0.05);
    });
    expect(r.dataset.drifted).toBe(true);
    expect(r.dataset.method).toBe('benjamini-hochberg');
  });

  it('Benjamini–Hochberg adjusted values (closed form)', () => {
    // m = 4, sorted p = 0.01, 0.02, 0.03, 0.5 → 0.04, 0.04, 0.04, 0.5 (monotone step-up).
    expect(Array.from(benjaminiHochberg([0.5, 0.03, 0.01, 0.02]))).toEqual([0.5, 0.04, 0.04, 0.04]);
  });
});

describe('normalised Wasserstein floor', () => {
  it('divides by max(std(reference), 0.001)', () => {
    expect(normalizedWasserstein([5, 5, 5], [5, 5, 6])).toBeCloseTo(1 / 3 / 0.001, 9);
  });
});
