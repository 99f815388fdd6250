/**
 * Neumaier-compensated summation. numpy sums with pairwise summation (error ~log₂(n)·ε); a
 * compensated sum is at least as accurate, so results stay within a few ulps of numpy's
 * whatever order the terms arrive in.
 */
export class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.compensation += this.sum - t + x;
    else this.compensation += x - t + this.sum;
    this.sum = t;
  }

  get value(): number {
    // Once the sum is infinite the compensation is meaningless (∞ − ∞); the sum is the answer.
    return Number.isFinite(this.sum) ? this.sum + this.compensation : this.sum;
  }
}

/** Mean and population standard deviation (ddof = 0, as `np.std`) in two compensated passes. */
export function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  const s = new CompensatedSum();
  for (let i = 0; i < n; i++) s.add(values[i]);
  const mean = s.value / n;
  const ss = new CompensatedSum();
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    ss.add(d * d);
  }
  return { mean, std: Math.sqrt(ss.value / n) };
}

/**
 * Arithmetic mean with one correction pass (m + Σ(v − m)/n), exact to rounding even for large,
 * offset values where a plain running sum loses digits.
 */
export function accurateMean(values: ArrayLike<number>): number {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  const m = s / n;
  let r = 0;
  for (let i = 0; i < n; i++) r += values[i] - m;
  return m + r / n;
}
