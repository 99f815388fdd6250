import { type NumericInput, type ScoreMatrix, checkSameLength, isScoreMatrix, matrixView, uniqueLabels } from './inputs';

/** Machine epsilon of float64, scikit-learn 1.2's `eps='auto'` for float64 predictions. */
const FLOAT64_EPS = 2.220446049250313e-16;

/**
 * Cross-entropy loss, `sklearn.metrics.log_loss` (scikit-learn 1.2, eps='auto'): probabilities
 * are clipped to [ε, 1 − ε] with ε = 2.22e-16, each row is renormalised to sum 1, and the mean
 * of −ln p(true class) is returned. Binary: a flat array of probabilities of the greater label.
 * Multiclass: a score matrix whose columns follow `labels` (default: sorted labels of yTrue).
 */
export function logLoss(
  yTrue: NumericInput,
  probabilities: NumericInput | ScoreMatrix,
  options: { labels?: readonly number[] } = {},
): number {
  const labels = options.labels ? uniqueLabels(options.labels) : uniqueLabels(yTrue);
  if (labels.length < 2) {
    throw new RangeError(
      options.labels
        ? `The labels array needs to contain at least two labels for log_loss, got ${labels.join(', ')}.`
        : `y_true contains only one label (${labels[0]}). Please provide the true labels explicitly through the labels argument.`,
    );
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  const clip = (p: number): number => Math.min(Math.max(p, FLOAT64_EPS), 1 - FLOAT64_EPS);
  let total = 0;
  const n = yTrue.length;
  if (!isScoreMatrix(probabilities)) {
    checkSameLength('log_loss', yTrue, probabilities);
    if (labels.length !== 2) throw new RangeError(`y_true and y_pred contain different number of classes ${labels.length}, 2.`);
    for (let i = 0; i < n; i++) {
      const k = index.get(yTrue[i]);
      if (k === undefined) throw new RangeError(`log_loss: label ${yTrue[i]} is not among labels`);
      const p1 = clip(probabilities[i]);
      const p0 = 1 - p1;
      const sum = p0 + p1;
      total -= Math.log((k === 1 ? p1 : p0) / sum);
    }
    return total / n;
  }
  const m = matrixView(probabilities);
  if (m.rows !== n) throw new RangeError(`log_loss: ${n} labels and ${m.rows} probability rows`);
  if (m.columns !== labels.length)
    throw new RangeError(`y_true and y_pred contain different number of classes ${labels.length}, ${m.columns}.`);
  for (let i = 0; i < n; i++) {
    const k = index.get(yTrue[i]);
    if (k === undefined) throw new RangeError(`log_loss: label ${yTrue[i]} is not among labels`);
    let sum = 0;
    for (let j = 0; j < m.columns; j++) sum += clip(m.at(i, j));
    total -= Math.log(clip(m.at(i, k)) / sum);
  }
  return total / n;
}

/**
 * Mean squared difference between the outcome (1 for the positive label) and its predicted
 * probability, `sklearn.metrics.brier_score_loss`. The positive label defaults as sklearn 1.2
 * picks it: 1 when the labels are a subset of {0, 1} or {−1, 1}, otherwise the greatest label.
 */
export function brierScore(yTrue: NumericInput, probabilities: NumericInput, options: { posLabel?: number } = {}): number {
  checkSameLength('brier_score_loss', yTrue, probabilities);
  const labels = uniqueLabels(yTrue);
  if (labels.length > 2) throw new RangeError('Only binary classification is supported.');
  for (let i = 0; i < probabilities.length; i++) {
    if (probabilities[i] > 1) throw new RangeError('y_prob contains values greater than 1.');
    if (probabilities[i] < 0) throw new RangeError('y_prob contains values less than 0.');
  }
  const standard = labels.every((l) => l === 0 || l === 1) || labels.every((l) => l === -1 || l === 1);
  const posLabel = options.posLabel ?? (standard ? 1 : labels[labels.length - 1]);
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = (yTrue[i] === posLabel ? 1 : 0) - probabilities[i];
    total += d * d;
  }
  return total / yTrue.length;
}
