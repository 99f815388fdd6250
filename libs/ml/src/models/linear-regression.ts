import { addWeightedColumns, columnDots } from './column-kernels';
import { choleskyInPlace, choleskySolveInPlace, symmetricEigen } from './linalg';
import { accurateMean } from '../stats/summation';

export interface LinearRegressionOptions {
  /** L2 penalty on the coefficients (sklearn's Ridge `alpha`); 0 gives ordinary least squares. */
  readonly alpha?: number;
  readonly fitIntercept?: boolean;
}

export interface LinearModel {
  readonly coef: Float64Array;
  readonly intercept: number;
}

/**
 * Least squares / ridge by the normal equations. As sklearn's Ridge and LinearRegression with
 * `fit_intercept`, X and y are centred first so the intercept is not penalised:
 * (XcᵀXc + αI) w = Xcᵀyc, b = ȳ − x̄·w. The system is solved by Cholesky; when it is singular
 * (α = 0 with collinear features, e.g. a one-hot block) the minimum-norm solution is taken
 * through the eigen-decomposition, which is what sklearn's lstsq-based LinearRegression returns.
 */
export function fitLinearRegression(columns: readonly Float64Array[], y: Float64Array, options: LinearRegressionOptions = {}): LinearModel {
  const alpha = options.alpha ?? 0;
  if (!(alpha >= 0)) throw new RangeError(`alpha must be ≥ 0, got ${alpha}`);
  const fitIntercept = options.fitIntercept ?? true;
  const p = columns.length;
  const n = y.length;
  if (n === 0) throw new Error('cannot fit a regression on zero rows');
  const means = new Float64Array(p);
  let yMean = 0;
  if (fitIntercept) {
    for (let j = 0; j < p; j++) means[j] = accurateMean(columns[j]);
    yMean = accurateMean(y);
  }
  const centered = columns.map((c, j) => {
    const m = means[j];
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = c[i] - m;
    return out;
  });
  const yc = new Float64Array(n);
  for (let i = 0; i < n; i++) yc[i] = y[i] - yMean;

  const gram = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  // The lower triangle row by row, then mirrored.
  for (let j = 0; j < p; j++) columnDots(centered[j], centered.slice(0, j + 1), gram, j * p);
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) gram[k * p + j] = gram[j * p + k];
  columnDots(yc, centered, rhs);
  for (let j = 0; j < p; j++) gram[j * p + j] += alpha;

  const factor = Float64Array.from(gram);
  let coef: Float64Array;
  if (p > 0 && choleskyInPlace(factor, p)) {
    coef = Float64Array.from(rhs);
    choleskySolveInPlace(factor, p, coef);
  } else {
    coef = minimumNormSolve(gram, p, rhs, Math.max(n, p));
  }
  let intercept = yMean;
  for (let j = 0; j < p; j++) intercept -= means[j] * coef[j];
  return { coef, intercept };
}

/** w = A⁺ b for symmetric positive semi-definite A, dropping eigenvalues below λmax·size·ε (lstsq's default rcond). */
function minimumNormSolve(a: Float64Array, p: number, b: Float64Array, size: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, p);
  let maxValue = 0;
  for (const v of values) maxValue = Math.max(maxValue, Math.abs(v));
  const cutoff = maxValue * size * Number.EPSILON;
  const w = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    if (values[k] <= cutoff) continue;
    let proj = 0;
    for (let i = 0; i < p; i++) proj += vectors[i * p + k] * b[i];
    proj /= values[k];
    for (let i = 0; i < p; i++) w[i] += proj * vectors[i * p + k];
  }
  return w;
}

/** Writes `intercept + X·coef` for every row into `out` (column-major X). */
export function predictLinear(model: LinearModel, columns: readonly Float64Array[], out: Float64Array): void {
  out.fill(model.intercept);
  addWeightedColumns(out, columns, model.coef);
}
