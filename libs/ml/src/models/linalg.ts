/** Small dense linear algebra on row-major p×p matrices (Float64Array of length p*p). */

/**
 * In-place Cholesky factorisation A = L Lᵀ (lower triangle overwritten with L). Returns false
 * when A is not numerically positive definite (a pivot below `tol` times the largest diagonal).
 */
export function choleskyInPlace(a: Float64Array, p: number, tol = 1e-13): boolean {
  let maxDiag = 0;
  for (let i = 0; i < p; i++) maxDiag = Math.max(maxDiag, a[i * p + i]);
  const floor = tol * maxDiag;
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j];
    for (let k = 0; k < j; k++) d -= a[j * p + k] * a[j * p + k];
    if (!(d > floor)) return false;
    const ljj = Math.sqrt(d);
    a[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j];
      for (let k = 0; k < j; k++) s -= a[i * p + k] * a[j * p + k];
      a[i * p + j] = s / ljj;
    }
  }
  return true;
}

/** Solves L Lᵀ x = b given the factor from {@link choleskyInPlace}; b is overwritten with x. */
export function choleskySolveInPlace(l: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * p + k] * b[k];
    b[i] = s / l[i * p + i];
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < p; k++) s -= l[k * p + i] * b[k];
    b[i] = s / l[i * p + i];
  }
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: returns eigenvalues and
 * the eigenvectors as columns of a row-major matrix. Accurate to rounding; O(p³) per sweep.
 */
export function symmetricEigen(a: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        const x = m[i * p + j] * m[i * p + j];
        total += x;
        if (i !== j) off += x;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let q = 0; q < p; q++) {
      for (let r = q + 1; r < p; r++) {
        const apq = m[q * p + r];
        if (apq === 0) continue;
        const theta = (m[r * p + r] - m[q * p + q]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < p; k++) {
          const mkq = m[k * p + q];
          const mkr = m[k * p + r];
          m[k * p + q] = c * mkq - s * mkr;
          m[k * p + r] = s * mkq + c * mkr;
        }
        for (let k = 0; k < p; k++) {
          const mqk = m[q * p + k];
          const mrk = m[r * p + k];
          m[q * p + k] = c * mqk - s * mrk;
          m[r * p + k] = s * mqk + c * mrk;
        }
        for (let k = 0; k < p; k++) {
          const vkq = v[k * p + q];
          const vkr = v[k * p + r];
          v[k * p + q] = c * vkq - s * vkr;
          v[k * p + r] = s * vkq + c * vkr;
        }
      }
    }
  }
  const values = new Float64Array(p);
  for (let i = 0; i < p; i++) values[i] = m[i * p + i];
  return { values, vectors: v };
}
