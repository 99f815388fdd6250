import { accuracy, brierScore, logLoss, meanAbsoluteError, precisionRecallF1, r2Score, rocAuc, rootMeanSquaredError } from '../metrics';
import { type Task } from './format';
import { type BatchPrediction } from './loaded-model';

/**
 * The metrics reported for a model on labelled rows: accuracy, precision/recall/F1 (the positive
 * class for binary models, macro and weighted averages otherwise), ROC AUC, log loss and, for
 * binary models, the Brier score; RMSE, MAE and R² for regression. Labels are class indices. A
 * metric that is undefined on these rows (ROC AUC with a single class present) is left out.
 */
export function evaluatePredictions(
  task: Task,
  prediction: BatchPrediction,
  classIndex: Int32Array | null,
  values: Float64Array,
): Record<string, number> {
  if (prediction.task === 'regression') {
    return {
      rmse: rootMeanSquaredError(values, prediction.values),
      mae: meanAbsoluteError(values, prediction.values),
      r2: r2Score(values, prediction.values),
    };
  }
  if (task === 'regression' || classIndex === null) throw new Error('a classifier needs class labels to evaluate');
  const yTrue = classIndex;
  const yPred = prediction.classIndex;
  const labels = prediction.classes.map((_, k) => k);
  const present = new Set(yTrue).size;
  const out: Record<string, number> = { accuracy: accuracy(yTrue, yPred) };
  if (task === 'binary') {
    const prf = precisionRecallF1(yTrue, yPred, { average: 'binary', posLabel: 1 });
    out.precision = prf.precision;
    out.recall = prf.recall;
    out.f1 = prf.f1;
    if (present === 2) out.rocAuc = rocAuc(yTrue, prediction.probabilities[1]);
    out.logLoss = logLoss(yTrue, prediction.probabilities[1], { labels });
    out.brier = brierScore(yTrue, prediction.probabilities[1], { posLabel: 1 });
    return out;
  }
  for (const average of ['macro', 'weighted'] as const) {
    const prf = precisionRecallF1(yTrue, yPred, { average });
    out[`precision_${average}`] = prf.precision;
    out[`recall_${average}`] = prf.recall;
    out[`f1_${average}`] = prf.f1;
  }
  // Row-major score matrix, as the metrics take it.
  const K = labels.length;
  const n = yTrue.length;
  const scores = new Float64Array(n * K);
  prediction.probabilities.forEach((p, k) => {
    for (let i = 0; i < n; i++) scores[i * K + k] = p[i];
  });
  const matrix = { values: scores, columns: K };
  if (present === K) out.rocAuc = rocAuc(yTrue, matrix);
  out.logLoss = logLoss(yTrue, matrix, { labels });
  return out;
}
