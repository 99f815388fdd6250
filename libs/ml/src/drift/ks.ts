import { kolmogorovSmirnovSf, probOutsideBand, probOutsideSquare } from '../stats/kolmogorov';
import { type NumericArray, roundHalfEven, sortedStrict } from './samples';

/** `ks_2samp`'s `method`: 'auto' is exact when both samples have at most 10 000 values. */
export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  /** sup |F₁ − F₂|; on the exact path scipy returns it snapped to the lattice, h/lcm(n₁, n₂). */
  readonly statistic: number;
  readonly pValue: number;
  /** The method actually used (scipy falls back from exact to asymp when the lattice is too large). */
  readonly method: 'exact' | 'asymp';
}

/** scipy's MAX_AUTO_N. */
const MAX_AUTO_N = 10_000;
const INT32_MAX = 2147483647;

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

/** Two-sided KS statistic of two ascending, finite samples, by one merge over both. */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] === v) i++;
    while (j < n2 && b[j] === v) j++;
    // numpy evaluates searchsorted(...)/n1 − searchsorted(...)/n2 in this order.
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const negMin = Math.min(Math.max(-minS, 0), 1);
  return negMin > maxS ? negMin : maxS;
}

/**
 * Two-sided p-value of a KS statistic `d` for sample sizes n1, n2, following `ks_2samp`:
 * exact lattice-path counts (Hodges; Viehmann's stable recursion) or, for 'asymp', scipy
 * 1.10's `kstwo.sf(d, round(n1·n2/(n1+n2)))`.
 */
export function ksTwoSamplePValue(d: number, n1: number, n2: number, method: KsMethod = 'auto'): KsResult {
  if (!(n1 > 0 && n2 > 0)) throw new RangeError('ks_2samp: samples must not be empty');
  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let mode: 'exact' | 'asymp';
  if (method === 'auto') mode = Math.max(n1, n2) <= MAX_AUTO_N ? 'exact' : 'asymp';
  else if (method === 'exact') mode = n1g >= INT32_MAX / n2g ? 'asymp' : 'exact';
  else mode = 'asymp';

  let statistic = d;
  if (mode === 'exact') {
    const lcm = n1g * n2;
    const h = roundHalfEven(d * lcm);
    statistic = h / lcm;
    if (h === 0) return { statistic, pValue: 1, method: 'exact' };
    const prob = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
    if (Number.isFinite(prob) && prob >= 0 && prob <= 1) return { statistic, pValue: prob, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const p = kolmogorovSmirnovSf(roundHalfEven(en), statistic);
  return { statistic, pValue: Math.min(Math.max(p, 0), 1), method: 'asymp' };
}

/** Two-sample KS test on already sorted finite samples. */
export function ksTwoSampleSorted(a: Float64Array, b: Float64Array, method: KsMethod = 'auto'): KsResult {
  return ksTwoSamplePValue(ksStatisticSorted(a, b), a.length, b.length, method);
}

/**
 * Two-sided two-sample Kolmogorov–Smirnov test, `scipy.stats.ks_2samp(a, b, method=...)`.
 * Values must be finite.
 */
export function ksTwoSample(a: NumericArray, b: NumericArray, options: { method?: KsMethod } = {}): KsResult {
  return ksTwoSampleSorted(sortedStrict(a, 'ks_2samp'), sortedStrict(b, 'ks_2samp'), options.method ?? 'auto');
}
