import { addWeightedColumns, columnDots } from './column-kernels';
import { minimizeLbfgs, type LbfgsResult } from './lbfgs';
import { type ProgressCallback } from './progress';

export interface LogisticRegressionOptions {
  /** Inverse regularisation strength, as sklearn's `C`. */
  readonly C?: number;
  readonly fitIntercept?: boolean;
  readonly maxIterations?: number;
  /** Gradient tolerance on the per-sample objective (see {@link fitLogisticRegression}). */
  readonly tolerance?: number;
  /**
   * Stop when an iteration lowers scikit-learn's objective by at most this share of it (scipy's
   * L-BFGS-B `ftol`, which scikit-learn leaves at 2.22e-9); default 0: only the gradient decides.
   */
  readonly functionTolerance?: number;
  readonly onProgress?: ProgressCallback;
  /** Report progress every this many iterations. */
  readonly progressEvery?: number;
}

/**
 * Fitted logistic regression. Binary problems have one row of coefficients (the positive
 * class, as sklearn's `coef_` of shape (1, p)); K > 2 classes have K rows (multinomial softmax,
 * shape (K, p)).
 */
export interface LogisticModel {
  readonly nClasses: number;
  readonly coef: readonly Float64Array[];
  readonly intercept: Float64Array;
}

export interface LogisticFit {
  readonly model: LogisticModel;
  readonly optimizer: Omit<LbfgsResult, 'x'>;
}

/**
 * L2-regularised logistic regression by L-BFGS, minimising sklearn's objective (1.2,
 * `_logistic_regression_path` with `LinearModelLoss`): C·Σᵢ logloss(yᵢ, xᵢ·w + b) + ½‖w‖², the
 * intercept unpenalised. We minimise that divided by C·n — the same minimiser — so the gradient
 * tolerance means the same thing for any n. `y` holds class indices 0..nClasses-1.
 */
export function fitLogisticRegression(
  columns: readonly Float64Array[],
  y: Int32Array,
  nClasses: number,
  options: LogisticRegressionOptions = {},
): LogisticFit {
  const C = options.C ?? 1;
  if (!(C > 0)) throw new RangeError(`C must be > 0, got ${C}`);
  if (nClasses < 2) throw new Error(`logistic regression needs at least 2 classes, got ${nClasses}`);
  const n = y.length;
  if (n === 0) throw new Error('cannot fit logistic regression on zero rows');
  for (let i = 0; i < n; i++)
    if (y[i] < 0 || y[i] >= nClasses) throw new RangeError(`class index ${y[i]} in row ${i + 1} is outside 0..${nClasses - 1}`);
  const p = columns.length;
  const fitIntercept = options.fitIntercept ?? true;
  const K = nClasses === 2 ? 1 : nClasses;
  const nParams = K * p + (fitIntercept ? K : 0);
  const lambda = 1 / (C * n);
  const invN = 1 / n;

  const z = Array.from({ length: K }, () => new Float64Array(n));
  const objective = (x: Float64Array, grad: Float64Array): number => {
    for (let k = 0; k < K; k++) {
      z[k].fill(fitIntercept ? x[K * p + k] : 0);
      addWeightedColumns(z[k], columns, x, k * p);
    }
    let loss = 0;
    if (K === 1) {
      // Binary: loss = log(1 + e^z) − y z; residual σ(z) − y overwrites z.
      const z0 = z[0];
      for (let i = 0; i < n; i++) {
        const zi = z0[i];
        const yi = y[i];
        if (zi > 0) {
          const e = Math.exp(-zi);
          loss += zi + Math.log1p(e) - yi * zi;
          z0[i] = 1 / (1 + e) - yi;
        } else {
          const e = Math.exp(zi);
          loss += Math.log1p(e) - yi * zi;
          z0[i] = e / (1 + e) - yi;
        }
      }
    } else {
      // Multinomial: loss = logsumexp(z) − z_y; residual softmax(z) − onehot(y) overwrites z.
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let k = 0; k < K; k++) if (z[k][i] > max) max = z[k][i];
        let sum = 0;
        for (let k = 0; k < K; k++) sum += Math.exp(z[k][i] - max);
        const lse = max + Math.log(sum);
        loss += lse - z[y[i]][i];
        for (let k = 0; k < K; k++) z[k][i] = Math.exp(z[k][i] - lse);
        z[y[i]][i] -= 1;
      }
    }
    let penalty = 0;
    for (let k = 0; k < K; k++) {
      const r = z[k];
      columnDots(r, columns, grad, k * p, invN);
      for (let j = 0; j < p; j++) {
        const w = x[k * p + j];
        penalty += w * w;
        grad[k * p + j] += lambda * w;
      }
      if (fitIntercept) {
        let s = 0;
        for (let i = 0; i < n; i++) s += r[i];
        grad[K * p + k] = s * invN;
      }
    }
    return loss * invN + 0.5 * lambda * penalty;
  };

  const maxIterations = options.maxIterations ?? 1000;
  const every = options.progressEvery ?? 10;
  const onProgress = options.onProgress;
  const result = minimizeLbfgs(objective, new Float64Array(nParams), {
    maxIterations,
    gradientTolerance: options.tolerance ?? 1e-10,
    // The objective is scikit-learn's divided by C·n: its floor of 1 is 1/(C·n) here.
    functionTolerance: options.functionTolerance ?? 0,
    functionFloor: lambda,
    onIteration: onProgress
      ? (iteration, f) => {
          if (iteration % every === 0) onProgress({ algorithm: 'logreg', iteration, maxIterations, trainLoss: f });
        }
      : undefined,
  });
  const coef = Array.from({ length: K }, (_, k) => result.x.slice(k * p, (k + 1) * p));
  const intercept = fitIntercept ? result.x.slice(K * p, K * p + K) : new Float64Array(K);
  const { x: _x, ...optimizer } = result;
  return { model: { nClasses, coef, intercept }, optimizer };
}

/**
 * Class probabilities for column-major rows: `out[k]` receives P(class k). Binary models give
 * σ(z) for class 1 and 1 − σ(z) for class 0, as sklearn's predict_proba.
 */
export function predictLogisticProba(model: LogisticModel, columns: readonly Float64Array[], out: readonly Float64Array[]): void {
  const K = model.coef.length;
  const n = out[0].length;
  for (let k = 0; k < K; k++) {
    out[k].fill(model.intercept[k]);
    addWeightedColumns(out[k], columns, model.coef[k]);
  }
  if (K === 1) {
    const z = out[0];
    const positive = out[1];
    for (let i = 0; i < n; i++) {
      const p1 = sigmoid(z[i]);
      positive[i] = p1;
      z[i] = 1 - p1;
    }
    return;
  }
  softmaxColumns(out, n);
}

/** Row by row over column-major scores (`scores[k][i]`): replaces each row's scores with their softmax. */
export function softmaxColumns(scores: readonly Float64Array[], nRows: number): void {
  const K = scores.length;
  for (let i = 0; i < nRows; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (scores[k][i] > max) max = scores[k][i];
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(scores[k][i] - max);
      scores[k][i] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) scores[k][i] /= sum;
  }
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
