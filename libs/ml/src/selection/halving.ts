/**
 * Successive halving, as scikit-learn 1.2's HalvingRandomSearchCV with `resource="n_samples"`
 * and `min_resources="exhaust"`: every candidate is tried on a small share of the rows, the best
 * 1/factor of them go on to `factor` times the rows, and so on until the rounds would need more
 * rows than there are. A large search then costs a small multiple of one full fit.
 */

/** One round: how many candidates it fits, and on how many rows. */
export interface HalvingRound {
  readonly candidates: number;
  readonly rows: number;
}

export interface HalvingOptions {
  /** Survivors per round are 1/factor of the candidates; rows grow by factor (default 3). */
  readonly factor?: number;
  /** Fewest rows a round may train on (scikit-learn's `min_resources` floor). Default 1. */
  readonly minRows?: number;
}

/** The rounds of a halving search over `candidates` candidates and `rows` training rows. */
export function halvingRounds(candidates: number, rows: number, options: HalvingOptions = {}): HalvingRound[] {
  const factor = options.factor ?? 3;
  const minRows = options.minRows ?? 1;
  if (!Number.isInteger(candidates) || candidates < 1) throw new RangeError(`candidates must be a positive integer, got ${candidates}`);
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(factor) || factor < 2) throw new RangeError(`factor must be an integer ≥ 2, got ${factor}`);
  // Enough rounds to get down to one candidate, and the rows that lets the last use nearly all.
  const required = 1 + floorLog(candidates, factor);
  const first = Math.min(rows, Math.max(minRows, Math.floor(rows / factor ** (required - 1))));
  const possible = 1 + floorLog(Math.floor(rows / first), factor);
  return Array.from({ length: Math.min(required, possible) }, (_, i) => ({
    candidates: Math.ceil(candidates / factor ** i),
    rows: first * factor ** i,
  }));
}

/** ⌊log_base(x)⌋ for x ≥ 1, in integers (floating logarithms land just below whole powers). */
function floorLog(x: number, base: number): number {
  let k = 0;
  for (let power = base; power <= x; power *= base) k++;
  return k;
}
