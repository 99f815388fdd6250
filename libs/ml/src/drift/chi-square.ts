import { chiSquareSf } from '../stats/gamma';

export interface ChiSquareResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Pearson's chi-square goodness-of-fit test, `scipy.stats.chisquare(f_obs, f_exp)`: statistic
 * Σ (o − e)²/e and p = chi2.sf(statistic, k − 1). As scipy 1.10 does, the observed and expected
 * totals must agree to a relative 1e-8. An expected count of 0 with a positive observed count
 * gives an infinite statistic and p = 0 — the case of a category that is new in current data.
 */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  const k = observed.length;
  if (expected.length !== k) throw new RangeError(`chisquare: ${k} observed and ${expected.length} expected frequencies`);
  let obsSum = 0;
  let expSum = 0;
  for (let i = 0; i < k; i++) {
    obsSum += observed[i];
    expSum += expected[i];
  }
  if (Math.abs(obsSum - expSum) / Math.min(obsSum, expSum) > 1e-8) {
    throw new RangeError(`chisquare: observed total ${obsSum} and expected total ${expSum} differ by more than 1e-8 relative`);
  }
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const d = observed[i] - expected[i];
    statistic += (d * d) / expected[i];
  }
  return { statistic, pValue: statistic === Infinity ? 0 : chiSquareSf(statistic, k - 1) };
}

/**
 * Evidently's chi-square drift test on category counts: the reference frequencies, scaled to
 * the current sample size (k_norm = n_current / n_reference), are the expected counts.
 */
export function chiSquareFromCounts(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquareResult {
  let nRef = 0;
  let nCur = 0;
  for (let i = 0; i < referenceCounts.length; i++) nRef += referenceCounts[i];
  for (let i = 0; i < currentCounts.length; i++) nCur += currentCounts[i];
  const kNorm = nCur / nRef;
  const expected = new Float64Array(referenceCounts.length);
  for (let i = 0; i < expected.length; i++) expected[i] = referenceCounts[i] * kNorm;
  return chiSquare(currentCounts, expected);
}
