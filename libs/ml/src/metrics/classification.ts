import { type NumericInput, checkSameLength, uniqueLabels } from './inputs';

/** Fraction of exact matches (`sklearn.metrics.accuracy_score`). */
export function accuracy(yTrue: NumericInput, yPred: NumericInput): number {
  checkSameLength('accuracy', yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

export interface ConfusionMatrix {
  /** Class labels in ascending order; row i is true label i, column j predicted label j. */
  readonly labels: readonly number[];
  readonly counts: readonly (readonly number[])[];
}

/** `sklearn.metrics.confusion_matrix` with labels = sorted union of true and predicted labels unless given. */
export function confusionMatrix(yTrue: NumericInput, yPred: NumericInput, options: { labels?: readonly number[] } = {}): ConfusionMatrix {
  checkSameLength('confusion_matrix', yTrue, yPred);
  const labels = options.labels ? [...options.labels] : uniqueLabels(yTrue, yPred);
  const index = new Map(labels.map((l, i) => [l, i]));
  const counts = labels.map(() => new Array<number>(labels.length).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const r = index.get(yTrue[i]);
    const c = index.get(yPred[i]);
    // sklearn drops samples whose true or predicted label is not among `labels`.
    if (r !== undefined && c !== undefined) counts[r][c]++;
  }
  return { labels, counts };
}

export type Average = 'binary' | 'micro' | 'macro' | 'weighted';

/**
 * Value taken by a precision or recall whose denominator is zero (no predicted, or no true,
 * samples of a class). sklearn's default 'warn' behaves as 0 (and warns); 0 and 1 set it.
 * F1 of such a class follows from the substituted values: 2PR/(P + R), and 0 when P + R = 0.
 */
export type ZeroDivision = 0 | 1 | 'warn';

export interface PrecisionRecallOptions {
  /** Default 'binary', as sklearn. */
  readonly average?: Average;
  /** Positive class for average 'binary'; default 1. */
  readonly posLabel?: number;
  readonly zeroDivision?: ZeroDivision;
}

export interface PrecisionRecallF1 {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * Precision, recall and F1 as `sklearn.metrics.precision_recall_fscore_support` (scikit-learn 1.2)
 * computes them, including its zero-division rules:
 * - a per-class ratio with a zero denominator is `zeroDivision` (0 for 'warn');
 * - 'binary' scores only `posLabel`; it requires at most two labels overall, and `posLabel`
 *   must be one of them when there are two;
 * - 'micro' pools true positives and counts over classes before dividing;
 * - 'weighted' averages by true support; when no class has support, precision/F1 are
 *   `zeroDivision` if nothing was predicted either, else 0, and recall is `zeroDivision`.
 */
export function precisionRecallF1(yTrue: NumericInput, yPred: NumericInput, options: PrecisionRecallOptions = {}): PrecisionRecallF1 {
  checkSameLength('precision_recall_fscore_support', yTrue, yPred);
  const average = options.average ?? 'binary';
  const posLabel = options.posLabel ?? 1;
  const zd = options.zeroDivision === 1 ? 1 : 0;
  const present = uniqueLabels(yTrue, yPred);
  let labels: number[];
  if (average === 'binary') {
    if (present.length > 2) {
      throw new RangeError(
        "Target is multiclass but average='binary'. Please choose another average setting, one of micro, macro, weighted.",
      );
    }
    if (!present.includes(posLabel) && present.length >= 2) {
      throw new RangeError(`pos_label=${posLabel} is not a valid label. It should be one of ${present.join(', ')}`);
    }
    labels = [posLabel];
  } else {
    labels = present;
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  let tp: Float64Array = new Float64Array(labels.length);
  let predSum: Float64Array = new Float64Array(labels.length);
  let trueSum: Float64Array = new Float64Array(labels.length);
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]);
    const p = index.get(yPred[i]);
    if (t !== undefined) trueSum[t]++;
    if (p !== undefined) predSum[p]++;
    if (t !== undefined && yTrue[i] === yPred[i]) tp[t]++;
  }
  if (average === 'micro') {
    const total = (a: Float64Array): Float64Array => Float64Array.of(a.reduce((s, v) => s + v, 0));
    tp = total(tp);
    predSum = total(predSum);
    trueSum = total(trueSum);
  }
  const k = tp.length;
  const precision = new Float64Array(k);
  const recall = new Float64Array(k);
  const f1 = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    precision[j] = predSum[j] === 0 ? zd : tp[j] / predSum[j];
    recall[j] = trueSum[j] === 0 ? zd : tp[j] / trueSum[j];
    const denom = precision[j] + recall[j];
    f1[j] = (2 * precision[j] * recall[j]) / (denom === 0 ? 1 : denom);
  }
  if (average === 'weighted') {
    const supportTotal = trueSum.reduce((s, v) => s + v, 0);
    if (supportTotal === 0) {
      const nothingPredicted = predSum.reduce((s, v) => s + v, 0) === 0;
      return nothingPredicted ? { precision: zd, recall: zd, f1: zd } : { precision: 0, recall: zd, f1: 0 };
    }
    const w = (a: Float64Array): number => a.reduce((s, v, j) => s + v * trueSum[j], 0) / supportTotal;
    return { precision: w(precision), recall: w(recall), f1: w(f1) };
  }
  const mean = (a: Float64Array): number => a.reduce((s, v) => s + v, 0) / a.length;
  return { precision: mean(precision), recall: mean(recall), f1: mean(f1) };
}

export const precision = (yTrue: NumericInput, yPred: NumericInput, options?: PrecisionRecallOptions): number =>
  precisionRecallF1(yTrue, yPred, options).precision;
export const recall = (yTrue: NumericInput, yPred: NumericInput, options?: PrecisionRecallOptions): number =>
  precisionRecallF1(yTrue, yPred, options).recall;
export const f1Score = (yTrue: NumericInput, yPred: NumericInput, options?: PrecisionRecallOptions): number =>
  precisionRecallF1(yTrue, yPred, options).f1;
