/**
 * Benjamini–Hochberg adjusted p-values: q_(i) = min_{j ≥ i} min(1, m·p_(j)/j) over the
 * ascending p-values. Rejecting every hypothesis with q ≤ α controls the false discovery rate
 * at α for independent (or positively dependent) tests, and "at least one rejection" is then
 * Simes' test of the global null at level α. NaN p-values are left NaN and not counted in m.
 */
export function benjaminiHochberg(pValues: ArrayLike<number>): Float64Array {
  const idx: number[] = [];
  for (let i = 0; i < pValues.length; i++) if (!Number.isNaN(pValues[i])) idx.push(i);
  idx.sort((a, b) => pValues[a] - pValues[b]);
  const m = idx.length;
  const out = new Float64Array(pValues.length).fill(NaN);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const q = Math.min(1, (m * pValues[idx[r]]) / (r + 1));
    if (q < running) running = q;
    out[idx[r]] = running;
  }
  return out;
}
