/**
 * Population stability index Σ (r_i − c_i)·ln(r_i / c_i) over bin shares, as Evidently's `psi`.
 * Shares must be positive: apply {@link fillZeroShares} first, as Evidently does.
 */
export function populationStabilityIndex(referenceShares: ArrayLike<number>, currentShares: ArrayLike<number>): number {
  const k = referenceShares.length;
  if (currentShares.length !== k) throw new RangeError(`psi: ${k} reference and ${currentShares.length} current bins`);
  let psi = 0;
  for (let i = 0; i < k; i++) {
    const r = referenceShares[i];
    const c = currentShares[i];
    psi += (r - c) * Math.log(r / c);
  }
  return psi;
}

/**
 * Evidently's `feel_zeroes` floor: empty bins get min(non-zero share)/10⁶ when that minimum is
 * ≤ 1e-4, and 1e-4 otherwise, so that the logarithm in PSI stays finite. Returns a new array.
 */
export function fillZeroShares(shares: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(shares);
  let minNonZero = Infinity;
  for (let i = 0; i < out.length; i++) if (out[i] !== 0 && out[i] < minNonZero) minNonZero = out[i];
  if (minNonZero === Infinity) return out;
  const fill = minNonZero <= 0.0001 ? minNonZero / 10 ** 6 : 0.0001;
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = fill;
  return out;
}
