/** Numeric input accepted by the drift statistics; NaN marks a missing value. */
export type NumericArray = Float64Array | Float32Array | Int32Array | readonly number[];

/**
 * Copies the finite values and sorts them ascending. Evidently replaces ±inf by NaN and drops
 * NaN before any test; sorting once here lets every statistic work on merged sorted runs.
 */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) out[k++] = v;
  }
  return out.sort();
}

/** Sorted copy of values that must all be finite (scipy gives meaningless output on NaN). */
export function sortedStrict(values: ArrayLike<number>, what: string): Float64Array {
  const out = Float64Array.from(values);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new RangeError(`${what}: value ${out[i]} at index ${i} is not finite`);
  }
  return out.sort();
}

/** Number of distinct values in the union of two sorted arrays, counting no further than `cap`. */
export function distinctUnionCount(a: Float64Array, b: Float64Array, cap = Infinity): number {
  let i = 0;
  let j = 0;
  let count = 0;
  while ((i < a.length || j < b.length) && count < cap) {
    const v = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    count++;
  }
  return count;
}

/** Number of distinct values of a sorted array. */
export function distinctCount(a: Float64Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) count++;
  return count;
}

/** numpy's `round` (half to even), which scipy uses on KS lattice indices and sample sizes. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
