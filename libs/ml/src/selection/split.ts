import { Rng } from '../random/rng';

export interface SplitOptions {
  /** Share of rows for validation, in [0, 1). */
  readonly validation?: number;
  /** Share of rows for test, in [0, 1). */
  readonly test?: number;
  /** Class index per row: split each class in the same proportions (classification). */
  readonly stratify?: Int32Array;
  readonly seed: number;
}

export interface Split {
  readonly train: Int32Array;
  readonly validation: Int32Array;
  readonly test: Int32Array;
}

/**
 * Seeded train/validation/test split of row indices 0..n-1. Held-out sizes are rounded up, as
 * sklearn's train_test_split does (`ceil(test_size * n)`); a stratified split gives each class
 * its proportional share, handing out the rounding remainders by largest fraction. Index lists
 * come back sorted so that rows keep their original order.
 */
export function splitIndices(n: number, options: SplitOptions): Split {
  const validation = options.validation ?? 0;
  const test = options.test ?? 0;
  for (const [name, share] of [
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (!(share >= 0 && share < 1)) throw new RangeError(`${name} share must be in [0, 1), got ${share}`);
  }
  const nTest = Math.ceil(test * n);
  const nValidation = Math.ceil(validation * n);
  if (nTest + nValidation >= n && n > 0 && nTest + nValidation > 0) {
    throw new RangeError(`a split of ${n} rows leaves no training rows (validation ${nValidation}, test ${nTest})`);
  }
  const rng = new Rng(options.seed);
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  let rest: Int32Array;
  let testIdx: Int32Array;
  let validationIdx: Int32Array;
  if (options.stratify) {
    if (options.stratify.length !== n) throw new RangeError(`stratify has ${options.stratify.length} entries for ${n} rows`);
    [testIdx, rest] = stratifiedTake(all, options.stratify, nTest, rng);
    [validationIdx, rest] = stratifiedTake(rest, options.stratify, nValidation, rng);
  } else {
    rng.shuffle(all);
    testIdx = all.slice(0, nTest);
    validationIdx = all.slice(nTest, nTest + nValidation);
    rest = all.slice(nTest + nValidation);
  }
  return { train: rest.sort(), validation: validationIdx.sort(), test: testIdx.sort() };
}

/** Takes `count` of `pool` with every class represented proportionally; returns [taken, left]. */
function stratifiedTake(pool: Int32Array, classes: Int32Array, count: number, rng: Rng): [Int32Array, Int32Array] {
  const byClass = groupByClass(pool, classes);
  const want = allocate(
    byClass.map((g) => g.length),
    count,
  );
  const taken = new Int32Array(count);
  const left = new Int32Array(pool.length - count);
  let t = 0;
  let l = 0;
  byClass.forEach((members, k) => {
    rng.shuffle(members);
    for (let i = 0; i < members.length; i++) {
      if (i < want[k]) taken[t++] = members[i];
      else left[l++] = members[i];
    }
  });
  return [taken, left];
}

function groupByClass(pool: Int32Array, classes: Int32Array): Int32Array[] {
  let nClasses = 0;
  for (const i of pool) {
    if (classes[i] < 0) throw new RangeError(`stratify: row ${i + 1} has no class`);
    nClasses = Math.max(nClasses, classes[i] + 1);
  }
  const sizes = new Int32Array(nClasses);
  for (const i of pool) sizes[classes[i]]++;
  const groups = Array.from(sizes, (s) => new Int32Array(s));
  const fill = new Int32Array(nClasses);
  for (const i of pool) groups[classes[i]][fill[classes[i]]++] = i;
  return groups;
}

/** Splits `total` across groups in proportion to `sizes` (largest remainder; ties to the larger, then earlier group). */
function allocate(sizes: number[], total: number): Int32Array {
  const n = sizes.reduce((a, b) => a + b, 0);
  const out = new Int32Array(sizes.length);
  if (n === 0) return out;
  const fractions: { k: number; frac: number }[] = [];
  let given = 0;
  sizes.forEach((s, k) => {
    const exact = (s * total) / n;
    out[k] = Math.floor(exact);
    given += out[k];
    fractions.push({ k, frac: exact - out[k] });
  });
  fractions.sort((a, b) => b.frac - a.frac || sizes[b.k] - sizes[a.k] || a.k - b.k);
  for (let r = 0; given < total; r = (r + 1) % fractions.length) {
    const k = fractions[r].k;
    if (out[k] < sizes[k]) {
      out[k]++;
      given++;
    }
  }
  return out;
}

export interface KFoldOptions {
  /** Shuffle before cutting folds (seeded); without it folds are contiguous, as sklearn's KFold(shuffle=False). */
  readonly shuffle?: boolean;
  readonly seed?: number;
  /** Class index per row: every fold gets each class in (near) equal parts. */
  readonly stratify?: Int32Array;
}

export interface Fold {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

/**
 * k-fold cross-validation folds over rows 0..n-1. Plain folds have sizes as sklearn's KFold
 * (the first n % k folds one larger); stratified folds deal each class's rows round-robin so
 * every fold holds floor or ceil of its share of each class.
 */
export function kFold(n: number, k: number, options: KFoldOptions = {}): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer ≥ 2, got ${k}`);
  if (k > n) throw new RangeError(`cannot make ${k} folds from ${n} rows`);
  const rng = options.shuffle ? new Rng(options.seed ?? 0) : null;
  const foldOf = new Int32Array(n);
  if (options.stratify) {
    if (options.stratify.length !== n) throw new RangeError(`stratify has ${options.stratify.length} entries for ${n} rows`);
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    let next = 0;
    for (const members of groupByClass(all, options.stratify)) {
      if (rng) rng.shuffle(members);
      // Continue the round-robin across classes so fold sizes stay balanced overall.
      for (const i of members) foldOf[i] = next++ % k;
    }
  } else {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (rng) rng.shuffle(order);
    const base = Math.floor(n / k);
    const extra = n % k;
    let pos = 0;
    for (let f = 0; f < k; f++) {
      const size = base + (f < extra ? 1 : 0);
      for (let j = 0; j < size; j++) foldOf[order[pos++]] = f;
    }
  }
  const folds: Fold[] = [];
  for (let f = 0; f < k; f++) {
    let size = 0;
    for (let i = 0; i < n; i++) if (foldOf[i] === f) size++;
    const test = new Int32Array(size);
    const train = new Int32Array(n - size);
    let a = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      if (foldOf[i] === f) test[a++] = i;
      else train[b++] = i;
    }
    folds.push({ train, test });
  }
  return folds;
}
