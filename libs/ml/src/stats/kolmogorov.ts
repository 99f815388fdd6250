/**
 * The distribution of the two-sided one-sample Kolmogorov–Smirnov statistic D_n, as
 * `scipy.stats.kstwo` computes it in scipy 1.1 (`scipy/stats/_ksstats.py`, after Simard &
 * L'Ecuyer 2011), plus the exact two-sample path counts of `ks_2samp`. `ks_2samp`'s 'asymp'
 * mode is *not* the limiting Kolmogorov distribution in scipy 1.1: it evaluates
 * `kstwo.sf(d, round(n1·n2/(n1+n2)))`, so every branch of that algorithm is reproduced here:
 *
 * - Ruben–Gambino closed forms for n·x ≤ 1 and n·x ≥ n − 1;
 * - 2·smirnov(n, x) (one-sided exact, Birnbaum–Tingey sum) for x ≥ ½, for n ≤ 140 with
 *   n·x² > 4, and for n > 140 with n·x² ≥ 2.2;
 * - Durbin's matrix (Marsaglia–Tsang–Wang) for small n·x², Pomeranz's recursion for
 *   n ≤ 140 and n·x² ≤ 4, the Pelz–Good expansion otherwise.
 *
 * scipy evaluates the Smirnov sum in double-double arithmetic (cephes `kolmogorov.c`); here
 * each term is taken in log space from error-free base transformations, which keeps the
 * relative error near (n·x)·1e-16 — below 1e-11 for every n a drift report meets.
 */

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const MIN_LOG = -708;
const EPS = 2.220446049250313e-16;
/** Cephes MINLOG with denormals: log(2^-1075). */
const CEPHES_MINLOG = -745.1332191019412;
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417, -0.0005952380952380953, 0.0007936507936507937,
  -0.002777777777777778, 0.08333333333333333,
];

const clip01 = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p);

/** x·2^e without intermediate overflow or underflow of the power. */
export function ldexp(x: number, e: number): number {
  let y = x;
  let k = e;
  while (k > 1000) {
    y *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    y *= 2 ** -1000;
    k += 1000;
    if (y === 0) return y;
  }
  return y * 2 ** k;
}

/** Dekker's split-based error-free product: a·b = p + e exactly. */
function twoProductError(a: number, b: number, p: number): number {
  const SPLIT = 134217729; // 2^27 + 1
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return al * bl - (p - ah * bh - ah * bl - al * bh);
}

/** Natural log of the double-double value hi + lo (hi > 0). */
function logDD(hi: number, lo: number): number {
  return Math.log(hi) + lo / hi;
}

/** (num/den − x) as a double-double [hi, lo]; num/den with its exact remainder. */
function quotientMinus(num: number, den: number, x: number, out: Float64Array): void {
  const q = num / den;
  const p = q * den;
  const qlo = (num - p - twoProductError(q, den, p)) / den;
  const s = q - x;
  const bb = s - q;
  const err = q - (s - bb) + (-x - bb);
  out[0] = s;
  out[1] = err + qlo;
}

/** log(n!/nⁿ) by Stirling, as `_log_nfactorial_div_n_pow_n`. */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

/**
 * One-sided Smirnov survival function P(D_n⁺ ≥ x) (`scipy.special.smirnov`) by the lower
 * Birnbaum–Tingey sum. Only the regimes `kolmogorovSf` calls it in are handled: the upper-sum
 * variant scipy picks for n·x² ≤ ¼ is never reached from there.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  // floor(n·x) and its remainder exactly (cephes modNX).
  const nxHi = n * x;
  const nxLo = twoProductError(n, x, nxHi);
  let nxfl = Math.floor(nxHi);
  if (nxfl === nxHi && nxLo < 0) nxfl -= 1;
  let alpha = nxHi - nxfl + nxLo;
  if (alpha >= 1) {
    nxfl += 1;
    alpha = 0;
  }
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) n1mxfl -= 1;
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) return clip01(1 - x * Math.exp((n - 1) * Math.log1p(x)));
  if (-2 * n * x * x < CEPHES_MINLOG) return 0;
  if (nxfl >= n - 1) return clip01(Math.exp(n * Math.log1p(-x)));
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return clip01(logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp));
  }
  const nTerms = n1mxfl + 1;
  const vmid = Math.floor(n / 2);
  let sum = Math.exp(n * Math.log1p(-x)) / x;
  // Binomial(n, v) as mantissa·2^exponent: it overflows a double long before n reaches 10⁶.
  let cMan = n;
  let cExp = 0;
  const t1 = new Float64Array(2);
  const t2 = new Float64Array(2);
  for (let v = 1; v < nTerms; v++) {
    quotientMinus(v, n, -x, t1); // x + v/n
    quotientMinus(n - v, n, x, t2); // 1 − x − v/n
    const e = (v - 1) * logDD(t1[0], t1[1]) + (n - v) * logDD(t2[0], t2[1]);
    const k = Math.round(e / Math.LN2);
    const r = e - k * LN2_HI - k * LN2_LO;
    const av = ldexp(cMan * Math.exp(r), cExp + k);
    if (Number.isFinite(av) && av !== 0) sum += av;
    if (av !== 0) {
      if (4 * (nTerms - v) * Math.abs(av) < EPS * sum && v !== nTerms - 1) break;
    } else if (v > vmid) {
      break;
    }
    cMan *= (n - v) / (v + 1);
    if (cMan > 2 ** 500) {
      cMan *= 2 ** -500;
      cExp += 500;
    } else if (cMan < 2 ** -500) {
      cMan *= 2 ** 500;
      cExp -= 500;
    }
  }
  return clip01(x * sum);
}

/** Durbin's matrix algorithm in the Marsaglia–Tsang–Wang form: P(D_n ≤ d). */
function kolmogornDurbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] *= fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  let H = new Float64Array(m * m);
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1];
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];

  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let scratch = new Float64Array(m * m);
  const matmul = (A: Float64Array, B: Float64Array, out: Float64Array): void => {
    out.fill(0);
    for (let i = 0; i < m; i++) {
      for (let l = 0; l < m; l++) {
        const a = A[i * m + l];
        if (a === 0) continue;
        for (let j = 0; j < m; j++) out[i * m + j] += a * B[l * m + j];
      }
    }
  };
  let nn = n;
  let expnt = 0;
  let hExpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      matmul(P, H, scratch);
      [P, scratch] = [scratch, P];
      expnt += hExpnt;
    }
    matmul(H, H, scratch);
    [H, scratch] = [scratch, H];
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]) > E128) {
      for (let i = 0; i < m * m; i++) H[i] /= E128;
      hExpnt += 128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + (k - 1)];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      expnt -= 128;
    }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return clip01(p);
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pomeranz's recursion: P(D_n ≤ x). */
function kolmogornPomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gOverN) / m;
    twogpower[m] = (twogpower[m - 1] * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      const base = k1 - V0s;
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let vmax = 0;
      for (let c = 0; c < convLen; c++) {
        const tIdx = convStart + c;
        let acc = 0;
        const lo = Math.max(0, tIdx - ln2 + 1);
        const hi = Math.min(tIdx, ln2 - 1);
        for (let a = lo; a <= hi; a++) acc += V0[base + a] * pwrs[tIdx - a];
        V1[c] = acc;
        if (acc > vmax) vmax = acc;
      }
      if (vmax > 0 && vmax < EM128) {
        for (let c = 0; c < convLen; c++) V1[c] *= E128;
        expnt -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128;
      expnt += 128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return clip01(ans);
}

/** Pelz–Good expansion of P(D_n ≤ x). */
function kolmogornPelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qpower = q ** (8 * k);
    K[0] = K[0] * qpower + 1;
    K[1] = K[1] * qpower + (k1a + k1b * m2);
    K[2] = K[2] * qpower + (k2a + k2b * m2 + k2c * m4);
    K[3] = K[3] * qpower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const denominators = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i] * q * SQRT_2PI) / denominators[i];
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    k2extra += k2 * qp;
    const kpi = Math.PI * k;
    k3extra += (SQRT3 * z + kpi) * (SQRT3 * z - kpi) * k2 * qp;
  }
  K[2] += (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3] += (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i] / n ** (i / 2);
  return sum;
}

/**
 * Survival function of the two-sided one-sample KS statistic, P(D_n ≥ x)
 * (`scipy.stats.kstwo.sf(x, n)`), following `_kolmogn(n, x, cdf=False)` branch for branch.
 */
export function kolmogorovSmirnovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip01(1 - kolmogornDurbinCdf(n, x));
    if (nxSquared <= 4) return clip01(1 - kolmogornPomeranzCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip01(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? kolmogornDurbinCdf(n, x) : kolmogornPelzGoodCdf(n, x);
  return clip01(1 - clip01(cdf));
}

/**
 * P(D_{n,n} ≥ h/n) for two samples of equal size n: the alternating reflection sum in
 * Horner form (scipy `_compute_prob_outside_square`).
 */
export function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * Proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm —
 * i.e. P(D_{m,n} ≥ h/lcm) — by Viehmann's stable recursion for 1 − p (scipy
 * `_compute_outer_prob_inside_method`, `g` = gcd(m, n)).
 */
export function probOutsideBand(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const len = maxj - minj;
    const shift = minj - lastminj;
    for (let jj = 0; jj < len; jj++) {
      const j = jj + minj;
      val = (A[jj + shift] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = len;
    if (lastlen > curlen) A.fill(1, len, len + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}
