import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../random/rng';
import { parseCsv } from '../table/csv';
import { fitLinearRegression, predictLinear } from './linear-regression';

const fixtures = join(__dirname, '../../fixtures');

/**
 * The closed form computed independently: the full (p+1)×(p+1) normal equations with an
 * explicit intercept column and penalty diag(α, …, α, 0), solved by Gaussian elimination with
 * partial pivoting (no centring, no Cholesky).
 */
function closedForm(x: Float64Array[], y: Float64Array, alpha: number): { coef: number[]; intercept: number } {
  const p = x.length;
  const n = y.length;
  const design = [...x, new Float64Array(n).fill(1)];
  const m = p + 1;
  const a = Array.from({ length: m }, (_, i) =>
    Array.from({ length: m + 1 }, (_, j) => {
      let s = 0;
      const ci = design[i];
      const cj = j < m ? design[j] : y;
      for (let r = 0; r < n; r++) s += ci[r] * cj[r];
      return s + (j === i && i < p ? alpha : 0);
    }),
  );
  for (let col = 0; col < m; col++) {
    let piv = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    [a[col], a[piv]] = [a[piv], a[col]];
    for (let r = col + 1; r < m; r++) {
      const f = a[r][col] / a[col][col];
      for (let c = col; c <= m; c++) a[r][c] -= f * a[col][c];
    }
  }
  const sol = new Array<number>(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let s = a[r][m];
    for (let c = r + 1; c < m; c++) s -= a[r][c] * sol[c];
    sol[r] = s / a[r][r];
  }
  return { coef: sol.slice(0, p), intercept: sol[p] };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('fitLinearRegression', () => {
  const table = parseCsv(readFileSync(join(fixtures, 'models-linear.csv')));
  const x = table.columns.slice(0, 4).map((c) => (c.type === 'numeric' ? c.values : new Float64Array()));
  const last = table.columns[4];
  const y = last.type === 'numeric' ? last.values : new Float64Array();
  const reference = JSON.parse(readFileSync(join(fixtures, 'models-linear.json'), 'utf8'));

  const runs: [number, { coef: number[]; intercept: number; sklearnCoef: number[]; sklearnIntercept: number }][] = reference.runs.map(
    (r: { alpha: number }) => [r.alpha, r],
  );
  it.each(runs)('alpha = %s: within 1e-8 of the closed form (numpy) and of sklearn', (alpha, run) => {
    const { coef: refCoef, intercept, sklearnCoef, sklearnIntercept } = run;
    const fit = fitLinearRegression(x, y, { alpha });
    expect(maxAbs(fit.coef, refCoef)).toBeLessThan(1e-8);
    expect(Math.abs(fit.intercept - intercept)).toBeLessThan(1e-8);
    expect(maxAbs(fit.coef, sklearnCoef)).toBeLessThan(1e-8);
    expect(Math.abs(fit.intercept - sklearnIntercept)).toBeLessThan(1e-8);
    const independent = closedForm(x, y, alpha);
    expect(maxAbs(fit.coef, independent.coef)).toBeLessThan(1e-8);
    expect(Math.abs(fit.intercept - independent.intercept)).toBeLessThan(1e-8);
  });

  it('matches the closed form on random problems', () => {
    const rng = new Rng(17);
    for (let trial = 0; trial < 20; trial++) {
      const n = 30 + rng.nextInt(200);
      const p = 1 + rng.nextInt(8);
      const xs = Array.from({ length: p }, () => Float64Array.from({ length: n }, () => rng.normal() * (1 + rng.nextInt(10))));
      const ys = Float64Array.from({ length: n }, (_, i) => xs.reduce((s, c, j) => s + (j + 1) * c[i], 3) + rng.normal());
      const alpha = trial % 2 === 0 ? 0 : rng.next() * 10;
      const fit = fitLinearRegression(xs, ys, { alpha });
      const ref = closedForm(xs, ys, alpha);
      expect(maxAbs(fit.coef, ref.coef)).toBeLessThan(1e-8);
      expect(Math.abs(fit.intercept - ref.intercept)).toBeLessThan(1e-8);
    }
  });

  it('gives the minimum-norm solution for collinear features, as lstsq', () => {
    // A one-hot block whose columns sum to 1 is collinear with the intercept; the unused
    // "unknown" column is all zeros.
    const a = Float64Array.from([1, 0, 1, 0, 1, 0]);
    const b = Float64Array.from([0, 1, 0, 1, 0, 1]);
    const unknown = new Float64Array(6);
    const yv = Float64Array.from([2, 5, 2, 5, 2, 5]);
    const fit = fitLinearRegression([a, b, unknown], yv);
    // Centred, a = −b, so the minimum-norm split is ±1.5 and the unknown column gets 0.
    expect(maxAbs(fit.coef, [-1.5, 1.5, 0])).toBeLessThan(1e-12);
    expect(Math.abs(fit.intercept - 3.5)).toBeLessThan(1e-12);
    const out = new Float64Array(6);
    predictLinear(fit, [a, b, unknown], out);
    expect(maxAbs(out, yv)).toBeLessThan(1e-12);
  });

  it('rejects a negative penalty', () => {
    expect(() => fitLinearRegression([Float64Array.from([1, 2])], Float64Array.from([1, 2]), { alpha: -1 })).toThrow('alpha must be ≥ 0');
  });
});
