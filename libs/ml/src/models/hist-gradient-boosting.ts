import { Rng } from '../random/rng';
import { splitIndices } from '../selection/split';
import { gradientBlock, lossBlocks, meanLoss } from './boosting-gradients';
import { findBinThresholds, mapToBins } from './hist-binning';
import { type BinnedData, type TreeArrays, TreeGrower } from './hist-tree';
import { HistogramThreads } from './histogram-threads';
import { type ProgressCallback } from './progress';

export type GbdtLoss = 'squared_error' | 'log_loss';

export interface GbdtOptions {
  /** `squared_error` for regression, `log_loss` for binary classification (labels 0/1). */
  readonly loss: GbdtLoss;
  readonly learningRate?: number;
  readonly maxIter?: number;
  /** `null` for no limit (sklearn's default 31). */
  readonly maxLeafNodes?: number | null;
  readonly maxDepth?: number | null;
  readonly minSamplesLeaf?: number;
  readonly l2Regularization?: number;
  /** Value bins per feature, 2..255 (one more bin is always kept for missing values). */
  readonly maxBins?: number;
  /** `auto` enables early stopping above 10 000 rows, as sklearn. */
  readonly earlyStopping?: 'auto' | boolean;
  readonly validationFraction?: number;
  readonly nIterNoChange?: number;
  readonly tol?: number;
  readonly seed?: number;
  /**
   * Threads building histograms (the fitting thread and helpers), as scikit-learn's OpenMP
   * threads; the trees are the same for any number. Default 1.
   */
  readonly threads?: number;
  readonly onProgress?: ProgressCallback;
}

/** A fitted boosted ensemble: raw score = baseline + Σ tree values (log-odds for `log_loss`). */
export interface GbdtModel {
  readonly loss: GbdtLoss;
  readonly baseline: number;
  readonly nFeatures: number;
  readonly trees: readonly TreeArrays[];
}

export interface GbdtFit {
  readonly model: GbdtModel;
  /** Boosting rounds done (sklearn's `n_iter_`). */
  readonly nIter: number;
  readonly trainLoss: number[];
  readonly validationLoss: number[];
  /** Threads that built the histograms: 1 unless more were asked for and the data was large enough. */
  readonly threads: number;
}

/** Trees with more leaves than this grow on one thread (the shared arena holds a histogram per leaf). */
const MAX_LEAVES_FOR_THREADS = 256;

const DEFAULTS = {
  learningRate: 0.1,
  maxIter: 100,
  maxLeafNodes: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  l2Regularization: 0,
  maxBins: 255,
  earlyStopping: 'auto',
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
} as const;

function resolveOptions(options: GbdtOptions) {
  const o = { ...DEFAULTS, ...stripUndefined(options), loss: options.loss };
  validateOptions(o);
  return o;
}
type ResolvedOptions = ReturnType<typeof resolveOptions>;

/**
 * Histogram gradient boosting as sklearn's HistGradientBoostingRegressor (loss "squared_error",
 * i.e. half squared error) and HistGradientBoostingClassifier for two classes (half binomial
 * loss), with the same defaults. `columns` are the features, column-major, NaN for missing.
 */
export function fitGbdt(columns: readonly Float64Array[], y: Float64Array, options: GbdtOptions): GbdtFit {
  const o = resolveOptions(options);
  const n = y.length;
  if (n === 0) throw new Error('cannot fit gradient boosting on zero rows');
  const isClassifier = o.loss === 'log_loss';
  if (isClassifier)
    for (let i = 0; i < n; i++) if (y[i] !== 0 && y[i] !== 1) throw new RangeError(`log_loss needs labels 0/1, row ${i + 1} has ${y[i]}`);
  const rng = new Rng(o.seed ?? 0);

  const earlyStopping = o.earlyStopping === 'auto' ? n > 10_000 : o.earlyStopping;
  let trainRows: Int32Array | null = null;
  let validationRows: Int32Array | null = null;
  if (earlyStopping) {
    let stratify: Int32Array | undefined;
    if (isClassifier) stratify = Int32Array.from(y);
    const split = splitIndices(n, { validation: o.validationFraction, stratify, seed: rng.nextUint32() });
    trainRows = split.train;
    validationRows = split.validation;
  }
  const pick = (src: Float64Array, rows: Int32Array | null): Float64Array => (rows ? gather(src, rows) : src);
  const xTrain = columns.map((c) => pick(c, trainRows));
  const yTrain = pick(y, trainRows);

  // Live histograms are bounded by the leaves a tree may have: the shared arena needs the bound.
  const threads =
    o.maxLeafNodes !== null && o.maxLeafNodes <= MAX_LEAVES_FOR_THREADS
      ? HistogramThreads.open(o.threads ?? 1, o.loss, yTrain.length, columns.length, o.maxLeafNodes + 2)
      : null;
  try {
    return boost(o, columns, y, xTrain, yTrain, validationRows, rng, threads);
  } finally {
    threads?.close();
  }
}

/** The boosting rounds of {@link fitGbdt}, on `threads`' shared buffers when given. */
function boost(
  o: ResolvedOptions,
  columns: readonly Float64Array[],
  y: Float64Array,
  xTrain: readonly Float64Array[],
  yTrain: Float64Array,
  validationRows: Int32Array | null,
  rng: Rng,
  threads: HistogramThreads | null,
): GbdtFit {
  const nTrain = yTrain.length;
  const isClassifier = o.loss === 'log_loss';
  const missingBin = o.maxBins;
  const thresholds = xTrain.map((c) => findBinThresholds(c, o.maxBins, rng));
  const bins = xTrain.map((c, f) => {
    const out = threads ? threads.bins[f] : new Uint8Array(nTrain);
    mapToBins(c, thresholds[f], missingBin, out);
    return out;
  });
  const hasMissing = Uint8Array.from(bins, (b) => (b.includes(missingBin) ? 1 : 0));
  const data: BinnedData = {
    nRows: nTrain,
    bins,
    rows: rowMajor(bins, nTrain, threads?.rows),
    nBinsNonMissing: Int32Array.from(thresholds, (t) => t.length + 1),
    hasMissing,
    missingBin,
    thresholds,
  };

  let validation: { bins: Uint8Array[]; y: Float64Array; raw: Float64Array } | null = null;
  if (validationRows) {
    const yVal = gather(y, validationRows);
    const vb = columns.map((c, f) => {
      const out = new Uint8Array(validationRows.length);
      mapToBins(gather(c, validationRows), thresholds[f], missingBin, out);
      return out;
    });
    validation = { bins: vb, y: yVal, raw: new Float64Array(yVal.length) };
  }

  const baseline = isClassifier ? logOddsOfMean(yTrain) : meanOf(yTrain);
  const raw = (threads ? threads.raw : new Float64Array(nTrain)).fill(baseline);
  threads?.y.set(yTrain);
  validation?.raw.fill(baseline);
  const gradients = threads ? threads.gradients : new Float32Array(nTrain);
  const hessians = (threads ? threads.hessians : new Float32Array(nTrain)).fill(1);
  const grower = new TreeGrower(
    data,
    {
      maxLeafNodes: o.maxLeafNodes,
      maxDepth: o.maxDepth,
      minSamplesLeaf: o.minSamplesLeaf,
      l2Regularization: o.l2Regularization,
      learningRate: o.learningRate,
    },
    threads,
  );
  const trees: TreeArrays[] = [];
  const trainLoss: number[] = [];
  const validationLoss: number[] = [];
  const scores: number[] = [];
  if (validation) {
    validationLoss.push(lossOf(o.loss, validation.y, validation.raw));
    scores.push(-validationLoss[0]);
  }

  gradientsAndLoss(o.loss, yTrain, raw, gradients, hessians, threads);
  for (let iter = 0; iter < o.maxIter; iter++) {
    const tree = grower.grow(gradients, hessians, raw);
    trees.push(tree);
    // The next round's gradients and this round's loss come from the same exponentials.
    trainLoss.push(gradientsAndLoss(o.loss, yTrain, raw, gradients, hessians, threads));
    let stop = false;
    if (validation) {
      addTreeBinned(tree, validation.bins, missingBin, validation.raw);
      const vl = lossOf(o.loss, validation.y, validation.raw);
      validationLoss.push(vl);
      scores.push(-vl);
      stop = shouldStop(scores, o.nIterNoChange, o.tol);
    }
    o.onProgress?.({
      algorithm: 'gbdt',
      iteration: iter + 1,
      maxIterations: o.maxIter,
      trainLoss: trainLoss[iter],
      validationLoss: validation ? validationLoss[validationLoss.length - 1] : undefined,
    });
    if (stop) break;
  }
  return {
    model: { loss: o.loss, baseline, nFeatures: columns.length, trees },
    nIter: trees.length,
    trainLoss,
    validationLoss,
    threads: threads ? threads.count : 1,
  };
}

/**
 * sklearn's `_should_stop`: stop when none of the last `nIterNoChange` scores beats the score
 * just before them by more than `tol` (higher is better; the first score is the baseline's).
 */
export function shouldStop(scores: readonly number[], nIterNoChange: number, tol: number): boolean {
  const reference = nIterNoChange + 1;
  if (scores.length < reference) return false;
  const referenceScore = scores[scores.length - reference] + tol;
  for (let k = scores.length - reference + 1; k < scores.length; k++) if (scores[k] > referenceScore) return false;
  return true;
}

function rowMajor(bins: readonly Uint8Array[], n: number, into?: Uint8Array): Uint8Array {
  const p = bins.length;
  const out = into ?? new Uint8Array(n * p);
  bins.forEach((col, f) => {
    for (let i = 0; i < n; i++) out[i * p + f] = col[i];
  });
  return out;
}

function addTreeBinned(tree: TreeArrays, bins: readonly Uint8Array[], missingBin: number, raw: Float64Array): void {
  const { feature, binThreshold, missingLeft, left, right, value } = tree;
  for (let i = 0; i < raw.length; i++) {
    let node = 0;
    while (feature[node] >= 0) {
      const b = bins[feature[node]][i];
      const goLeft = b === missingBin ? missingLeft[node] === 1 : b <= binThreshold[node];
      node = goLeft ? left[node] : right[node];
    }
    raw[i] += value[node];
  }
}

/**
 * Writes the loss's gradients and hessians at `raw` (hessians of squared error stay 1) and
 * returns the mean loss there, as {@link lossOf} — on `threads` when given, each claiming
 * blocks of rows.
 */
function gradientsAndLoss(
  loss: GbdtLoss,
  y: Float64Array,
  raw: Float64Array,
  gradients: Float32Array,
  hessians: Float32Array,
  threads: HistogramThreads | null,
): number {
  if (threads) return threads.gradientsAndLoss();
  const nBlocks = lossBlocks(y.length);
  const blockLoss = new Float64Array(nBlocks);
  for (let k = 0; k < nBlocks; k++) blockLoss[k] = gradientBlock(loss, y, raw, gradients, hessians, k);
  return meanLoss(blockLoss, nBlocks, y.length);
}

/** Mean loss as sklearn's loss objects report it: half squared error, or binomial log loss. */
function lossOf(loss: GbdtLoss, y: Float64Array, raw: Float64Array): number {
  let s = 0;
  if (loss === 'squared_error') {
    for (let i = 0; i < y.length; i++) {
      const d = y[i] - raw[i];
      s += 0.5 * d * d;
    }
  } else {
    for (let i = 0; i < y.length; i++) {
      const z = raw[i];
      s += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i] * z;
    }
  }
  return s / y.length;
}

function logOddsOfMean(y: Float64Array): number {
  // As HalfBinomialLoss.fit_intercept_only: the mean clipped away from 0 and 1 by 10·ε.
  const eps = 10 * Number.EPSILON;
  const p = Math.min(Math.max(meanOf(y), eps), 1 - eps);
  return Math.log(p / (1 - p));
}

function meanOf(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return s / v.length;
}

function gather(src: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]];
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validateOptions(o: Required<Omit<GbdtOptions, 'seed' | 'onProgress' | 'threads'>> & Pick<GbdtOptions, 'threads'>): void {
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new RangeError(`gbdt: ${what}`);
  };
  check(o.learningRate > 0, `learningRate must be > 0, got ${o.learningRate}`);
  check(Number.isInteger(o.maxIter) && o.maxIter >= 1, `maxIter must be an integer ≥ 1, got ${o.maxIter}`);
  check(
    o.maxLeafNodes === null || (Number.isInteger(o.maxLeafNodes) && o.maxLeafNodes >= 2),
    `maxLeafNodes must be an integer ≥ 2 or null, got ${o.maxLeafNodes}`,
  );
  check(
    o.maxDepth === null || (Number.isInteger(o.maxDepth) && o.maxDepth >= 1),
    `maxDepth must be an integer ≥ 1 or null, got ${o.maxDepth}`,
  );
  check(Number.isInteger(o.minSamplesLeaf) && o.minSamplesLeaf >= 1, `minSamplesLeaf must be an integer ≥ 1, got ${o.minSamplesLeaf}`);
  check(o.l2Regularization >= 0, `l2Regularization must be ≥ 0, got ${o.l2Regularization}`);
  check(Number.isInteger(o.maxBins) && o.maxBins >= 2 && o.maxBins <= 255, `maxBins must be an integer in 2..255, got ${o.maxBins}`);
  check(o.validationFraction > 0 && o.validationFraction < 1, `validationFraction must be in (0, 1), got ${o.validationFraction}`);
  check(Number.isInteger(o.nIterNoChange) && o.nIterNoChange >= 1, `nIterNoChange must be an integer ≥ 1, got ${o.nIterNoChange}`);
  check(o.tol >= 0, `tol must be ≥ 0, got ${o.tol}`);
  check(o.threads === undefined || (Number.isInteger(o.threads) && o.threads >= 1), `threads must be an integer ≥ 1, got ${o.threads}`);
}

/**
 * Adds the ensemble's raw scores for column-major rows to `out` (pre-filled by the caller, e.g.
 * with the baseline). Missing values (NaN) follow each split's learned direction.
 */
export function addGbdtRaw(model: GbdtModel, columns: readonly Float64Array[], out: Float64Array): void {
  for (const tree of model.trees) {
    const { feature, threshold, missingLeft, left, right, value } = tree;
    for (let i = 0; i < out.length; i++) {
      let node = 0;
      while (feature[node] >= 0) {
        const v = columns[feature[node]][i];
        const goLeft = v !== v ? missingLeft[node] === 1 : v <= threshold[node];
        node = goLeft ? left[node] : right[node];
      }
      out[i] += value[node];
    }
  }
}

/** Raw score of one row given as a dense feature vector. */
export function gbdtRawRow(model: GbdtModel, x: Float64Array): number {
  let s = model.baseline;
  for (const tree of model.trees) {
    const { feature, threshold, missingLeft, left, right, value } = tree;
    let node = 0;
    while (feature[node] >= 0) {
      const v = x[feature[node]];
      const goLeft = v !== v ? missingLeft[node] === 1 : v <= threshold[node];
      node = goLeft ? left[node] : right[node];
    }
    s += value[node];
  }
  return s;
}
