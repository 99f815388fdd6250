import { normalCdf } from '../stats/normal';

export interface ZTestResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Two-proportion z-test with a pooled variance, as Evidently's `z_stat_test`:
 * z = (p₁ − p₂)/√(P(1 − P)(1/n₁ + 1/n₂)) and p = 2·(1 − Φ(|z|)), where p₁ and p₂ are the
 * shares of "successes" in the reference and current samples. The p-value is written as
 * Evidently writes it (1 − Φ, not Φ(−|z|)), so tiny p-values round to 0 exactly as there.
 */
export function twoProportionZTest(successesRef: number, nRef: number, successesCur: number, nCur: number): ZTestResult {
  const p1 = successesRef / nRef;
  const p2 = successesCur / nCur;
  const pooled = (p1 * nRef + p2 * nCur) / (nRef + nCur);
  const statistic = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / nRef + 1 / nCur));
  return { statistic, pValue: 2 * (1 - normalCdf(Math.abs(statistic))) };
}
