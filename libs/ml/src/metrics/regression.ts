import { type NumericInput, checkSameLength } from './inputs';

/** Mean squared error (`sklearn.metrics.mean_squared_error`). */
export function meanSquaredError(yTrue: NumericInput, yPred: NumericInput): number {
  checkSameLength('mean_squared_error', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = yTrue[i] - yPred[i];
    s += d * d;
  }
  return s / yTrue.length;
}

/** Root mean squared error (`mean_squared_error(..., squared=False)` in scikit-learn 1.2). */
export function rootMeanSquaredError(yTrue: NumericInput, yPred: NumericInput): number {
  return Math.sqrt(meanSquaredError(yTrue, yPred));
}

/** Mean absolute error (`sklearn.metrics.mean_absolute_error`). */
export function meanAbsoluteError(yTrue: NumericInput, yPred: NumericInput): number {
  checkSameLength('mean_absolute_error', yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yPred[i] - yTrue[i]);
  return s / yTrue.length;
}

/**
 * Coefficient of determination 1 − SS_res/SS_tot (`sklearn.metrics.r2_score`). As scikit-learn
 * 1.2 with force_finite: a constant target gives 1 for a perfect prediction and 0 otherwise;
 * fewer than two samples give NaN.
 */
export function r2Score(yTrue: NumericInput, yPred: NumericInput): number {
  checkSameLength('r2_score', yTrue, yPred);
  const n = yTrue.length;
  if (n < 2) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i];
  mean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const r = yTrue[i] - yPred[i];
    const c = yTrue[i] - mean;
    num += r * r;
    den += c * c;
  }
  if (den === 0) return num === 0 ? 1 : 0;
  return 1 - num / den;
}
