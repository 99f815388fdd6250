import { CompensatedSum } from '../stats/summation';

/** scipy's `rel_entr(x, y)`: x·ln(x/y), 0 when x = 0, +inf when y = 0 < x. */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/**
 * Jensen–Shannon distance between two frequency vectors, `scipy.spatial.distance.jensenshannon(p, q,
 * base)`: both vectors are normalised to sum 1, then √((KL(p‖m) + KL(q‖m))/2) with m = (p + q)/2.
 * Natural logarithm unless `base` is given (its range is then [0, 1] for base 2, [0, √ln 2]
 * for base e). Evidently's `jensenshannon` test passes base 2 — see the README for why the
 * report defaults to natural log.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  const k = p.length;
  if (q.length !== k) throw new RangeError(`jensenshannon: vectors of length ${k} and ${q.length}`);
  let ps = 0;
  let qs = 0;
  for (let i = 0; i < k; i++) {
    ps += p[i];
    qs += q[i];
  }
  const left = new CompensatedSum();
  const right = new CompensatedSum();
  for (let i = 0; i < k; i++) {
    const pi = p[i] / ps;
    const qi = q[i] / qs;
    const m = (pi + qi) / 2;
    left.add(relEntr(pi, m));
    right.add(relEntr(qi, m));
  }
  let js = left.value + right.value;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(js / 2);
}
