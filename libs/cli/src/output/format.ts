/**
 * A number for a table: integers in full, other values to `significant` digits — fixed-point
 * between 1e-4 and 1e6, exponent notation outside, so tiny p-values stay readable.
 */
export function formatValue(x: number, significant = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-4 && magnitude < 1e6) {
    const decimals = Math.max(0, significant - 1 - Math.floor(Math.log10(magnitude)));
    return x.toFixed(decimals);
  }
  return x.toExponential(significant - 1);
}

/** Seconds as a person reads them: "850 ms", "12.3 s". */
export function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${formatValue(seconds, 3)} s`;
}
