/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 7.4/7.5) with a
 * line search that enforces the strong Wolfe conditions (Alg. 3.5/3.6, cubic interpolation in
 * the zoom phase). Unconstrained, dense, on Float64Array.
 *
 * Near the optimum the decrease f(x) − f(x*) ≈ ½gᵀH⁻¹g falls below the rounding of f long
 * before the gradient meets a tight tolerance, so the Armijo test stops telling steps apart. As
 * in Hager & Zhang's approximate Wolfe conditions, a step is then also accepted when f has not
 * risen beyond its rounding and the strong curvature condition holds: the gradient, which is
 * still computed accurately, carries the search to the tolerance.
 */

/** Writes the gradient at `x` into `grad` and returns the objective. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Number of correction pairs kept (scipy's default 10). */
  readonly memory?: number;
  readonly maxIterations?: number;
  /** Stop when the largest absolute gradient component is at most this (scipy's `gtol`). */
  readonly gradientTolerance?: number;
  /**
   * Stop when an iteration lowers f by at most this share of max(|f before|, |f after|,
   * `functionFloor`) — scipy's L-BFGS-B `ftol` (its default is 2.220446049250313e-9). Default 0:
   * only the gradient decides.
   */
  readonly functionTolerance?: number;
  /** The least |f| that decrease is measured against: scipy's is 1, on the objective's own scale. */
  readonly functionFloor?: number;
  /** Called after each iteration with the iteration number and objective value. */
  readonly onIteration?: (iteration: number, f: number) => void;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  /** Largest absolute gradient component at `x`. */
  readonly gradientMax: number;
  /**
   * `gradient` when the gradient tolerance was met; `decrease` when an iteration lowered f by no
   * more than the function tolerance; `precision` when no further decrease is possible in
   * floating point; `iterations` when the budget ran out.
   */
  readonly stop: 'gradient' | 'decrease' | 'precision' | 'iterations';
}

const C1 = 1e-4;
const C2 = 0.9;
const MAX_LINE_SEARCH = 40;
/** Relative size of f's rounding error assumed by the approximate Armijo test. */
const F_ROUNDING = 1e-12;

export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const m = options.memory ?? 10;
  const maxIterations = options.maxIterations ?? 1000;
  const gtol = options.gradientTolerance ?? 1e-10;
  const ftol = options.functionTolerance ?? 0;
  const floor = options.functionFloor ?? 1;

  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = objective(x, g);
  if (!Number.isFinite(f)) throw new Error('objective is not finite at the starting point');

  const S = Array.from({ length: m }, () => new Float64Array(n));
  const Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m);
  const alphaBuf = new Float64Array(m);
  let stored = 0;
  let head = 0; // index of the next slot to overwrite
  const d = new Float64Array(n);
  const ls = new LineSearch(objective, n);

  let iteration = 0;
  let stop: LbfgsResult['stop'] = 'iterations';
  let gmax = maxAbs(g);
  if (gmax <= gtol) stop = 'gradient';

  while (stop === 'iterations' && iteration < maxIterations) {
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let k = 0; k < stored; k++) {
      const j = (head - 1 - k + m) % m;
      const a = rho[j] * dot(S[j], d);
      alphaBuf[j] = a;
      axpy(-a, Y[j], d);
    }
    if (stored > 0) {
      const j = (head - 1 + m) % m;
      const gamma = dot(S[j], Y[j]) / dot(Y[j], Y[j]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let k = stored - 1; k >= 0; k--) {
      const j = (head - 1 - k + m) % m;
      const b = rho[j] * dot(Y[j], d);
      axpy(alphaBuf[j] - b, S[j], d);
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Curvature information went bad (rounding near the optimum): restart from steepest descent.
      stored = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = dot(g, d);
    }
    // The first step has no curvature scale yet; a unit-length step is a safe first guess.
    const alpha0 = stored === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const step = ls.search(x, f, d, slope, alpha0);
    if (step === null) {
      stop = 'precision';
      break;
    }
    // New curvature pair s = alpha d, y = g_new - g.
    const s = S[head];
    const yv = Y[head];
    for (let i = 0; i < n; i++) {
      s[i] = step.alpha * d[i];
      yv[i] = ls.gBest[i] - g[i];
    }
    const sy = dot(s, yv);
    x.set(ls.xBest);
    g.set(ls.gBest);
    const decrease = f - step.f;
    const scale = Math.max(Math.abs(f), Math.abs(step.f), floor);
    f = step.f;
    if (sy > Number.EPSILON * dot(yv, yv)) {
      rho[head] = 1 / sy;
      head = (head + 1) % m;
      stored = Math.min(stored + 1, m);
    }
    iteration++;
    options.onIteration?.(iteration, f);
    gmax = maxAbs(g);
    if (gmax <= gtol) stop = 'gradient';
    else if (ftol > 0 && decrease <= ftol * scale) stop = 'decrease';
  }
  return { x, f, iterations: iteration, gradientMax: gmax, stop };
}

/** Strong-Wolfe line search; keeps the accepted point in `xBest`/`gBest`. */
class LineSearch {
  readonly xBest: Float64Array;
  readonly gBest: Float64Array;
  private readonly xt: Float64Array;
  private readonly gt: Float64Array;
  private readonly gLo: Float64Array;

  constructor(
    private readonly objective: Objective,
    n: number,
  ) {
    this.xBest = new Float64Array(n);
    this.gBest = new Float64Array(n);
    this.xt = new Float64Array(n);
    this.gt = new Float64Array(n);
    this.gLo = new Float64Array(n);
  }

  private evaluate(x: Float64Array, d: Float64Array, alpha: number): { f: number; slope: number } {
    const xt = this.xt;
    for (let i = 0; i < xt.length; i++) xt[i] = x[i] + alpha * d[i];
    const f = this.objective(xt, this.gt);
    return { f, slope: dot(this.gt, d) };
  }

  private accept(alpha: number, f: number, x: Float64Array, d: Float64Array, g: Float64Array): { alpha: number; f: number } {
    for (let i = 0; i < x.length; i++) this.xBest[i] = x[i] + alpha * d[i];
    this.gBest.set(g);
    return { alpha, f };
  }

  search(x: Float64Array, f0: number, d: Float64Array, slope0: number, alphaInit: number): { alpha: number; f: number } | null {
    let aPrev = 0;
    let fPrev = f0;
    let sPrev = slope0;
    let alpha = alphaInit;
    const fCap = f0 + F_ROUNDING * Math.abs(f0);
    for (let i = 0; i < MAX_LINE_SEARCH; i++) {
      const { f, slope } = this.evaluate(x, d, alpha);
      if (f <= fCap && Math.abs(slope) <= -C2 * slope0) return this.accept(alpha, f, x, d, this.gt);
      if (!Number.isFinite(f) || f > f0 + C1 * alpha * slope0 || (i > 0 && f >= fPrev)) {
        return this.zoom(x, d, f0, slope0, aPrev, fPrev, sPrev, alpha, f, slope, aPrev > 0);
      }
      if (Math.abs(slope) <= -C2 * slope0) return this.accept(alpha, f, x, d, this.gt);
      if (slope >= 0) {
        this.gLo.set(this.gt);
        return this.zoom(x, d, f0, slope0, alpha, f, slope, aPrev, fPrev, sPrev, true);
      }
      this.gLo.set(this.gt);
      aPrev = alpha;
      fPrev = f;
      sPrev = slope;
      alpha *= 4;
    }
    return aPrev > 0 ? this.accept(aPrev, fPrev, x, d, this.gLo) : null;
  }

  /** Alg. 3.6: `lo` always satisfies sufficient decrease and has the lowest value seen; `gLo` holds its gradient when `loEvaluated`. */
  private zoom(
    x: Float64Array,
    d: Float64Array,
    f0: number,
    slope0: number,
    aLo: number,
    fLo: number,
    sLo: number,
    aHi: number,
    fHi: number,
    sHi: number,
    loEvaluated: boolean,
  ): { alpha: number; f: number } | null {
    const fCap = f0 + F_ROUNDING * Math.abs(f0);
    for (let i = 0; i < MAX_LINE_SEARCH; i++) {
      const width = Math.abs(aHi - aLo);
      if (width <= 1e-16 * Math.max(aLo, aHi)) break;
      let a = cubicMinimizer(aLo, fLo, sLo, aHi, fHi, sHi);
      const lo = Math.min(aLo, aHi);
      const hi = Math.max(aLo, aHi);
      // Keep trial points away from the ends so the bracket shrinks geometrically.
      if (!Number.isFinite(a) || a < lo + 0.1 * width || a > hi - 0.1 * width) a = (aLo + aHi) / 2;
      const { f, slope } = this.evaluate(x, d, a);
      if (f <= fCap && Math.abs(slope) <= -C2 * slope0) return this.accept(a, f, x, d, this.gt);
      if (!Number.isFinite(f) || f > f0 + C1 * a * slope0 || f >= fLo) {
        aHi = a;
        fHi = f;
        sHi = slope;
        continue;
      }
      if (Math.abs(slope) <= -C2 * slope0) return this.accept(a, f, x, d, this.gt);
      if (slope * (aHi - aLo) >= 0) {
        aHi = aLo;
        fHi = fLo;
        sHi = sLo;
      }
      aLo = a;
      fLo = f;
      sLo = slope;
      this.gLo.set(this.gt);
      loEvaluated = true;
    }
    // The bracket collapsed before the curvature condition held: rounding dominates. Any point
    // with sufficient decrease is still progress.
    return loEvaluated && aLo > 0 && fLo < f0 ? this.accept(aLo, fLo, x, d, this.gLo) : null;
  }
}

/** Minimiser of the cubic interpolating f and f' at a and b (N&W eq. 3.59). */
function cubicMinimizer(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return Number.NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - ((b - a) * (db + d2 - d1)) / (db - da + 2 * d2);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
}
