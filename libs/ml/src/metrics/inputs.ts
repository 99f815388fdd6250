/** Labels or scores: any array of numbers (Float64Array, Int32Array, number[]). */
export type NumericInput = ArrayLike<number>;

/**
 * Per-class scores for n samples and k classes: rows (`scores[i][j]`), or a row-major flat
 * array with its number of columns (the layout batch prediction returns).
 */
export type ScoreMatrix = readonly ArrayLike<number>[] | { readonly values: ArrayLike<number>; readonly columns: number };

export function checkSameLength(what: string, a: NumericInput, b: NumericInput): void {
  if (a.length !== b.length) throw new RangeError(`${what}: inputs have ${a.length} and ${b.length} samples`);
  if (a.length === 0) throw new RangeError(`${what}: inputs are empty`);
}

/** A score matrix, as opposed to a flat array of numbers. */
export function isScoreMatrix(x: NumericInput | ScoreMatrix): x is ScoreMatrix {
  if (ArrayBuffer.isView(x)) return false;
  if (Array.isArray(x)) return x.length > 0 && typeof x[0] !== 'number';
  return 'columns' in x;
}

/** Reads a score matrix as (rows, columns, value accessor). */
export function matrixView(scores: ScoreMatrix): { rows: number; columns: number; at: (i: number, j: number) => number } {
  if (!Array.isArray(scores)) {
    const { values, columns } = scores as { values: ArrayLike<number>; columns: number };
    if (!(columns > 0) || values.length % columns !== 0)
      throw new RangeError(`score matrix: ${values.length} values do not fill rows of ${columns}`);
    return { rows: values.length / columns, columns, at: (i, j) => values[i * columns + j] };
  }
  const rows = scores as readonly ArrayLike<number>[];
  const columns = rows.length > 0 ? rows[0].length : 0;
  rows.forEach((r, i) => {
    if (r.length !== columns) throw new RangeError(`score matrix: row ${i} has ${r.length} values, expected ${columns}`);
  });
  return { rows: rows.length, columns, at: (i, j) => rows[i][j] };
}

/** Sorted distinct class labels of one or more label arrays (sklearn's `unique_labels`). */
export function uniqueLabels(...arrays: NumericInput[]): number[] {
  const set = new Set<number>();
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v) || !Number.isInteger(v))
        throw new RangeError(`classification labels must be integers, got ${v} at index ${i}`);
      set.add(v);
    }
  }
  return [...set].sort((x, y) => x - y);
}
