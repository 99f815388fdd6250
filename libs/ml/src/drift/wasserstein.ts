import { CompensatedSum, meanAndStd } from '../stats/summation';
import { type NumericArray, sortedStrict } from './samples';

/** Evidently's floor on the reference standard deviation used as the normaliser. */
export const WASSERSTEIN_STD_FLOOR = 0.001;

/**
 * First Wasserstein distance ∫|F_u − F_v| of two ascending finite samples, as scipy's
 * `_cdf_distance(1, …)`: the integral over consecutive distinct pooled values of the
 * difference of the right-continuous empirical CDFs.
 */
export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) throw new RangeError('wasserstein_distance: samples must not be empty');
  let i = 0;
  let j = 0;
  const sum = new CompensatedSum();
  let prev = NaN;
  let prevDiff = 0;
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && u[i] <= v[j]) ? u[i] : v[j];
    if (i + j > 0) sum.add(prevDiff * (x - prev));
    while (i < nu && u[i] === x) i++;
    while (j < nv && v[j] === x) j++;
    prevDiff = Math.abs(i / nu - j / nv);
    prev = x;
  }
  return sum.value;
}

/** `scipy.stats.wasserstein_distance(u, v)` (unweighted). */
export function wassersteinDistance(u: NumericArray, v: NumericArray): number {
  return wassersteinSorted(sortedStrict(u, 'wasserstein_distance'), sortedStrict(v, 'wasserstein_distance'));
}

/**
 * Evidently's normed Wasserstein distance: W₁(reference, current) / max(std(reference), 0.001),
 * std with ddof = 0 as `np.std`. Dimensionless, so one threshold (0.1) serves every column.
 */
export function normalizedWassersteinSorted(reference: Float64Array, current: Float64Array): number {
  return wassersteinSorted(reference, current) / Math.max(meanAndStd(reference).std, WASSERSTEIN_STD_FLOOR);
}

export function normalizedWasserstein(reference: NumericArray, current: NumericArray): number {
  return normalizedWassersteinSorted(sortedStrict(reference, 'wasserstein'), sortedStrict(current, 'wasserstein'));
}
