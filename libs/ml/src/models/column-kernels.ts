/**
 * The two products every linear model spends its time in, on column-major data: z += X·w and
 * out = Xᵀ·r. Four columns go through each pass over the rows, so z and r are read and written
 * a quarter as often as column by column (the loops are bound by memory traffic, not
 * arithmetic).
 */

/** z[i] += Σⱼ w[offset + j] · columns[j][i]. */
export function addWeightedColumns(z: Float64Array, columns: readonly Float64Array[], w: ArrayLike<number>, offset = 0): void {
  const n = z.length;
  const p = columns.length;
  let j = 0;
  for (; j + 3 < p; j += 4) {
    const w0 = w[offset + j];
    const w1 = w[offset + j + 1];
    const w2 = w[offset + j + 2];
    const w3 = w[offset + j + 3];
    if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0) continue;
    const c0 = columns[j];
    const c1 = columns[j + 1];
    const c2 = columns[j + 2];
    const c3 = columns[j + 3];
    for (let i = 0; i < n; i++) z[i] += w0 * c0[i] + w1 * c1[i] + w2 * c2[i] + w3 * c3[i];
  }
  for (; j < p; j++) {
    const wj = w[offset + j];
    if (wj === 0) continue;
    const c = columns[j];
    for (let i = 0; i < n; i++) z[i] += wj * c[i];
  }
}

/** out[offset + j] = scale · Σᵢ r[i] · columns[j][i]. */
export function columnDots(r: Float64Array, columns: readonly Float64Array[], out: Float64Array, offset = 0, scale = 1): void {
  const n = r.length;
  const p = columns.length;
  let j = 0;
  for (; j + 3 < p; j += 4) {
    const c0 = columns[j];
    const c1 = columns[j + 1];
    const c2 = columns[j + 2];
    const c3 = columns[j + 3];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0; i < n; i++) {
      const ri = r[i];
      s0 += ri * c0[i];
      s1 += ri * c1[i];
      s2 += ri * c2[i];
      s3 += ri * c3[i];
    }
    out[offset + j] = s0 * scale;
    out[offset + j + 1] = s1 * scale;
    out[offset + j + 2] = s2 * scale;
    out[offset + j + 3] = s3 * scale;
  }
  for (; j < p; j++) {
    const c = columns[j];
    let s = 0;
    for (let i = 0; i < n; i++) s += r[i] * c[i];
    out[offset + j] = s * scale;
  }
}
