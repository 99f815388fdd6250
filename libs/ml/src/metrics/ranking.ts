import { type NumericInput, type ScoreMatrix, checkSameLength, isScoreMatrix, matrixView, uniqueLabels } from './inputs';

/**
 * Cumulative true/false positives at each distinct score, scores descending — sklearn's
 * `_binary_clf_curve`. Tied scores form one threshold, so ties count half as in the
 * Mann–Whitney statistic.
 */
function binaryClfCurve(positive: Uint8Array, scores: NumericInput): { tps: Float64Array; fps: Float64Array } {
  const n = positive.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`scores contain NaN at index ${i}`);
    order[i] = i;
  }
  order.sort((a, b) => scores[b] - scores[a]);
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  for (let k = 0; k < n; k++) {
    tp += positive[order[k]];
    if (k === n - 1 || scores[order[k + 1]] !== scores[order[k]]) {
      tps.push(tp);
      fps.push(k + 1 - tp);
    }
  }
  return { tps: Float64Array.from(tps), fps: Float64Array.from(fps) };
}

/** Area under the ROC curve by the trapezoidal rule on (fpr, tpr), starting at (0, 0). */
function binaryRocAuc(positive: Uint8Array, scores: NumericInput): number {
  const { tps, fps } = binaryClfCurve(positive, scores);
  const P = tps[tps.length - 1];
  const N = fps[fps.length - 1];
  if (P === 0 || N === 0) throw new RangeError('Only one class present in y_true. ROC AUC score is not defined in that case.');
  // sklearn drops collinear intermediate points first; that does not change the area.
  let area = 0;
  let prevF = 0;
  let prevT = 0;
  for (let i = 0; i < tps.length; i++) {
    const f = fps[i] / N;
    const t = tps[i] / P;
    area += ((f - prevF) * (t + prevT)) / 2;
    prevF = f;
    prevT = t;
  }
  return area;
}

export interface RocAucOptions {
  /** Multiclass only: sklearn's average over one-vs-rest AUCs, 'macro' (default) or 'weighted' by support. */
  readonly average?: 'macro' | 'weighted';
}

/**
 * `sklearn.metrics.roc_auc_score`. Binary: `scores` are scores of the greater label. Multiclass
 * (a score matrix with one column per class, in ascending label order, rows summing to 1):
 * one-vs-rest (sklearn's `multi_class='ovr'`), averaged as `average` says.
 */
export function rocAuc(yTrue: NumericInput, scores: NumericInput | ScoreMatrix, options: RocAucOptions = {}): number {
  const labels = uniqueLabels(yTrue);
  if (!isScoreMatrix(scores)) {
    const s = scores;
    checkSameLength('roc_auc_score', yTrue, s);
    if (labels.length !== 2) {
      if (labels.length < 2) throw new RangeError('Only one class present in y_true. ROC AUC score is not defined in that case.');
      throw new RangeError('roc_auc_score: multiclass targets need a score matrix with one column per class');
    }
    const positive = new Uint8Array(yTrue.length);
    for (let i = 0; i < yTrue.length; i++) positive[i] = yTrue[i] === labels[1] ? 1 : 0;
    return binaryRocAuc(positive, s);
  }
  const m = matrixView(scores);
  if (m.rows !== yTrue.length) throw new RangeError(`roc_auc_score: ${yTrue.length} labels and ${m.rows} score rows`);
  if (m.columns !== labels.length) {
    throw new RangeError(`Number of classes in y_true (${labels.length}) not equal to the number of columns in 'y_score' (${m.columns})`);
  }
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let j = 0; j < m.columns; j++) s += m.at(i, j);
    // sklearn: np.allclose(1, y_score.sum(axis=1)) (rtol 1e-5, atol 1e-8).
    if (Math.abs(s - 1) > 1e-8 + 1e-5)
      throw new RangeError('Target scores need to be probabilities for multiclass roc_auc, i.e. they should sum up to 1.0 over classes');
  }
  const column = new Float64Array(m.rows);
  const positive = new Uint8Array(m.rows);
  let total = 0;
  let weightTotal = 0;
  labels.forEach((label, j) => {
    let support = 0;
    for (let i = 0; i < m.rows; i++) {
      column[i] = m.at(i, j);
      positive[i] = yTrue[i] === label ? 1 : 0;
      support += positive[i];
    }
    const auc = binaryRocAuc(positive, column);
    const w = options.average === 'weighted' ? support : 1;
    total += auc * w;
    weightTotal += w;
  });
  return total / weightTotal;
}

/**
 * `sklearn.metrics.average_precision_score` (binary): Σ (R_k − R_{k−1})·P_k over distinct
 * thresholds, descending — the step-wise area under the precision-recall curve, no
 * interpolation. With no positive sample recall is taken as 1 everywhere, as sklearn does,
 * which yields 0.
 */
export function averagePrecision(yTrue: NumericInput, scores: NumericInput, options: { posLabel?: number } = {}): number {
  checkSameLength('average_precision_score', yTrue, scores);
  const posLabel = options.posLabel ?? 1;
  const present = uniqueLabels(yTrue);
  if (present.length > 2) throw new RangeError('average_precision_score: multiclass targets are not supported');
  if (present.length === 2 && !present.includes(posLabel)) {
    throw new RangeError(`pos_label=${posLabel} is not a valid label. It should be one of ${present.join(', ')}`);
  }
  const positive = new Uint8Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) positive[i] = yTrue[i] === posLabel ? 1 : 0;
  const { tps, fps } = binaryClfCurve(positive, scores);
  const P = tps[tps.length - 1];
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const ps = tps[k] + fps[k];
    const prec = ps === 0 ? 0 : tps[k] / ps;
    const rec = P === 0 ? 1 : tps[k] / P;
    ap += (rec - prevRecall) * prec;
    prevRecall = rec;
  }
  return ap;
}
