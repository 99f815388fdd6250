/**
 * Random forests as sklearn's RandomForestClassifier (two classes) and RandomForestRegressor:
 * each tree grown depth first to purity (or `maxDepth`, `minSamplesLeaf`) on a bootstrap sample,
 * drawing `maxFeatures` candidate features per node. Splits are exact CART splits on the sorted
 * values, as sklearn's `BestSplitter`, not histogram bins: a forest's trees grow deep and
 * fine-grained thresholds are what makes their predictions agree with sklearn's.
 *
 * The Gini impurity of a 0/1 label is twice its variance, so the two criteria rank splits alike
 * and one splitter serves both; each criterion's score is still computed as sklearn computes it,
 * so that splits tied but for rounding go the same way.
 */
import { type SerializedTree } from '../artifact/format';
import { Rng } from '../random/rng';
import { type ProgressCallback } from './progress';

export type ForestCriterion = 'gini' | 'squared_error';

/** `sqrt`, `log2`, `null` (every feature), a fraction in (0, 1], or a whole count ≥ 2. */
export type MaxFeatures = 'sqrt' | 'log2' | number | null;

export interface RandomForestOptions {
  /** `gini` for a 0/1 label, `squared_error` for regression. */
  readonly criterion: ForestCriterion;
  readonly nEstimators: number;
  /** Deepest a tree may grow (edges from the root). */
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly maxFeatures: MaxFeatures;
  readonly bootstrap: boolean;
  readonly seed: number;
  /** Past these a tree, or the forest, is refused rather than written as a model no loader accepts. */
  readonly maxNodesPerTree: number;
  readonly maxTotalNodes: number;
  readonly onProgress?: ProgressCallback;
}

export interface RandomForestModel {
  /** Leaves hold the tree's weighted mean of the label: the class-1 share for `gini`. */
  readonly trees: readonly SerializedTree[];
  /** Candidate features per node, after resolving `maxFeatures`. */
  readonly maxFeatures: number;
}

/** sklearn's FEATURE_THRESHOLD: values closer than this are one value, not a place to split. */
const FEATURE_THRESHOLD = 1e-7;

/** Number of candidate features per node, as sklearn resolves `max_features` (at least one). */
export function resolveMaxFeatures(maxFeatures: MaxFeatures, nFeatures: number): number {
  if (maxFeatures === null) return nFeatures;
  if (maxFeatures === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  if (maxFeatures === 'log2') return Math.max(1, Math.floor(Math.log2(nFeatures)));
  if (maxFeatures > 0 && maxFeatures <= 1) return Math.max(1, Math.floor(maxFeatures * nFeatures));
  if (Number.isInteger(maxFeatures) && maxFeatures > 1) {
    if (maxFeatures > nFeatures) throw new RangeError(`max_features ${maxFeatures} is more than the ${nFeatures} model inputs`);
    return maxFeatures;
  }
  throw new RangeError(`max_features must be sqrt, log2, none, a fraction in (0, 1] or a whole number ≥ 2, got ${maxFeatures}`);
}

export function fitRandomForest(columns: readonly Float64Array[], y: Float64Array, options: RandomForestOptions): RandomForestModel {
  const n = y.length;
  if (n === 0) throw new RangeError('cannot grow a forest on no rows');
  for (const c of columns) if (c.length !== n) throw new RangeError('every feature column needs one value per label');
  const { nEstimators, minSamplesLeaf, maxDepth } = options;
  if (!(Number.isInteger(nEstimators) && nEstimators >= 1))
    throw new RangeError(`nEstimators must be a positive integer, got ${nEstimators}`);
  if (!(Number.isInteger(minSamplesLeaf) && minSamplesLeaf >= 1))
    throw new RangeError(`minSamplesLeaf must be a positive integer, got ${minSamplesLeaf}`);
  if (!(Number.isInteger(maxDepth) && maxDepth >= 0)) throw new RangeError(`maxDepth must be a non-negative integer, got ${maxDepth}`);
  const maxFeatures = resolveMaxFeatures(options.maxFeatures, columns.length);
  const grower = new ForestTreeGrower(columns, y, { ...options, maxFeatures });
  const rng = new Rng(options.seed);
  const weights = new Float64Array(n);
  const trees: SerializedTree[] = [];
  let totalNodes = 0;
  for (let t = 0; t < nEstimators; t++) {
    // A stream per tree, drawn in order: the same seed grows the same forest.
    const treeRng = new Rng(rng.nextUint32());
    weights.fill(options.bootstrap ? 0 : 1);
    if (options.bootstrap) for (let i = 0; i < n; i++) weights[treeRng.nextInt(n)] += 1;
    const { tree, impurity } = grower.grow(weights, treeRng);
    totalNodes += tree.feature.length;
    if (totalNodes > options.maxTotalNodes)
      throw new RangeError(
        `the forest grew past ${options.maxTotalNodes} nodes after ${t + 1} of ${nEstimators} trees, more than a model may hold; ` +
          'set max_depth, raise min_samples_leaf or lower n_estimators',
      );
    trees.push(tree);
    options.onProgress?.({
      algorithm: 'random_forest',
      iteration: t + 1,
      maxIterations: nEstimators,
      trainLoss: options.criterion === 'gini' ? 2 * impurity : impurity,
    });
  }
  return { trees, maxFeatures };
}

interface GrowerOptions {
  readonly criterion: ForestCriterion;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly maxFeatures: number;
  readonly maxNodesPerTree: number;
}

interface Split {
  proxy: number;
  feature: number;
  threshold: number;
  missingLeft: boolean;
}

interface PendingNode {
  readonly index: number;
  readonly start: number;
  readonly stop: number;
  readonly depth: number;
}

/** Reusable buffers for growing trees on one data set. */
class ForestTreeGrower {
  /** Per feature, each row's dense rank among the feature's distinct values; -1 for missing. */
  private readonly ranks: Int32Array[];
  /** In-bag rows, grouped by node: each node owns a contiguous range. */
  private readonly rows: Int32Array;
  private readonly scratch: Int32Array;
  private readonly keys: Float64Array;
  private readonly sorted: Int32Array;
  private readonly order: Int32Array;

  constructor(
    private readonly columns: readonly Float64Array[],
    private readonly y: Float64Array,
    private readonly options: GrowerOptions,
  ) {
    const n = y.length;
    this.ranks = columns.map(denseRanks);
    this.rows = new Int32Array(n);
    this.scratch = new Int32Array(n);
    this.keys = new Float64Array(n);
    this.sorted = new Int32Array(n);
    this.order = Int32Array.from(columns, (_, j) => j);
  }

  /** One tree on the rows of positive weight; `impurity` is its weighted leaf impurity (variance). */
  grow(weights: Float64Array, rng: Rng): { tree: SerializedTree; impurity: number } {
    const { y, rows } = this;
    const { maxDepth, minSamplesLeaf, maxNodesPerTree } = this.options;
    let inBag = 0;
    for (let i = 0; i < y.length; i++) if (weights[i] > 0) rows[inBag++] = i;
    const feature: number[] = [];
    const threshold: (number | null)[] = [];
    const missingLeft: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const value: number[] = [];
    const addNode = (): number => {
      if (feature.length === maxNodesPerTree)
        throw new RangeError(
          `a tree grew past ${maxNodesPerTree} nodes, more than a model may hold; set max_depth or raise min_samples_leaf`,
        );
      feature.push(-1);
      threshold.push(null);
      missingLeft.push(0);
      left.push(-1);
      right.push(-1);
      value.push(0);
      return feature.length - 1;
    };
    let impurity = 0;
    let totalWeight = 0;
    const stack: PendingNode[] = [{ index: addNode(), start: 0, stop: inBag, depth: 0 }];
    while (stack.length > 0) {
      const node = stack.pop() as PendingNode;
      const { start, stop, depth } = node;
      let w = 0;
      let s = 0;
      let ss = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = start; i < stop; i++) {
        const r = rows[i];
        const wi = weights[r];
        const yi = y[r];
        w += wi;
        s += wi * yi;
        ss += wi * yi * yi;
        if (yi < lo) lo = yi;
        if (yi > hi) hi = yi;
      }
      value[node.index] = s / w;
      const count = stop - start;
      // sklearn's leaf tests: depth, min_samples_split (2) and twice min_samples_leaf, purity.
      const split =
        depth >= maxDepth || count < 2 || count < 2 * minSamplesLeaf || lo === hi ? null : this.bestSplit(start, stop, weights, w, s, rng);
      if (split === null) {
        impurity += Math.max(0, ss - (s * s) / w);
        totalWeight += w;
        continue;
      }
      const mid = this.partition(start, stop, split);
      const l = addNode();
      const r = addNode();
      feature[node.index] = split.feature;
      threshold[node.index] = split.threshold === Infinity ? null : split.threshold;
      missingLeft[node.index] = split.missingLeft ? 1 : 0;
      left[node.index] = l;
      right[node.index] = r;
      // The right child goes on the stack first, so the left one grows first (sklearn's order).
      stack.push({ index: r, start: mid, stop, depth: depth + 1 }, { index: l, start, stop: mid, depth: depth + 1 });
    }
    return { tree: { feature, threshold, missingLeft, left, right, value }, impurity: impurity / totalWeight };
  }

  /**
   * Best split over features drawn without replacement, as sklearn's `node_split_best`: at least
   * `maxFeatures` are drawn, more while every one drawn is constant in the node; the first best
   * split found wins ties. Null when no drawn feature has a split leaving `minSamplesLeaf` rows on
   * each side.
   */
  private bestSplit(start: number, stop: number, weights: Float64Array, w: number, s: number, rng: Rng): Split | null {
    const { order } = this;
    const p = order.length;
    const best: Split = { proxy: -Infinity, feature: -1, threshold: 0, missingLeft: false };
    let visited = 0;
    let informative = 0;
    for (let j = 0; j < p && (visited < this.options.maxFeatures || informative === 0); j++) {
      const k = j + rng.nextInt(p - j);
      const f = order[k];
      order[k] = order[j];
      order[j] = f;
      visited++;
      if (this.scanFeature(f, start, stop, weights, w, s, best)) informative++;
    }
    return best.feature < 0 ? null : best;
  }

  /** Updates `best` with feature `f`'s best split; false when the feature is constant in the node. */
  private scanFeature(f: number, start: number, stop: number, weights: Float64Array, w: number, s: number, best: Split): boolean {
    const { rows, keys, sorted, y } = this;
    const x = this.columns[f];
    const rank = this.ranks[f];
    const count = stop - start;
    const msl = this.options.minSamplesLeaf;
    const proxyOf = this.options.criterion === 'gini' ? giniProxy : squaredErrorProxy;
    // Sorted by rank through one native sort of packed keys (rank · count + position): exact in a double.
    let k = 0;
    let mc = 0;
    let mw = 0;
    let ms = 0;
    for (let i = start; i < stop; i++) {
      const r = rows[i];
      const rk = rank[r];
      if (rk < 0) {
        mc++;
        mw += weights[r];
        ms += weights[r] * y[r];
      } else keys[k++] = rk * count + (i - start);
    }
    sortPrefix(keys, k);
    for (let i = 0; i < k; i++) sorted[i] = rows[start + (keys[i] % count)];
    const constant = k === 0 || x[sorted[k - 1]] <= x[sorted[0]] + FEATURE_THRESHOLD;
    if (constant && (mc === 0 || k === 0)) return false;
    let wl = 0;
    let sl = 0;
    for (let i = 0; i < k - 1; i++) {
      const r = sorted[i];
      wl += weights[r];
      sl += weights[r] * y[r];
      const a = x[r];
      const b = x[sorted[i + 1]];
      if (b <= a + FEATURE_THRESHOLD) continue;
      const cl = i + 1;
      // Missing values right, then left.
      if (cl >= msl && count - cl >= msl) consider(best, proxyOf(wl, sl, w - wl, s - sl), f, midpoint(a, b), false);
      if (mc > 0 && cl + mc >= msl && k - cl >= msl)
        consider(best, proxyOf(wl + mw, sl + ms, w - wl - mw, s - sl - ms), f, midpoint(a, b), true);
    }
    // Values against missing ones: every value goes left.
    if (mc > 0 && k > 0 && k >= msl && mc >= msl) consider(best, proxyOf(w - mw, s - ms, mw, ms), f, Infinity, false);
    return true;
  }

  /** Stable in-place partition of the node's rows; returns where the right child starts. */
  private partition(start: number, stop: number, split: Split): number {
    const { rows, scratch } = this;
    const x = this.columns[split.feature];
    const { threshold, missingLeft } = split;
    let hasMissing = false;
    let l = start;
    let r = 0;
    for (let i = start; i < stop; i++) {
      const row = rows[i];
      const v = x[row];
      const missing = v !== v;
      hasMissing ||= missing;
      if (missing ? missingLeft : v <= threshold) rows[l++] = row;
      else scratch[r++] = row;
    }
    rows.set(scratch.subarray(0, r), l);
    // Without missing values in the node, missing values at prediction time follow the larger child, as sklearn.
    if (!hasMissing) split.missingLeft = l - start > r;
    return l;
  }
}

/** sklearn's `proxy_impurity_improvement` for squared error (sums of weights and of w·y per side): larger is better. */
function squaredErrorProxy(wl: number, sl: number, wr: number, sr: number): number {
  return (sl * sl) / wl + (sr * sr) / wr;
}

/** sklearn's `proxy_impurity_improvement` for Gini, with class-1 weight `s` and class-0 weight `w − s` per side. */
function giniProxy(wl: number, sl: number, wr: number, sr: number): number {
  const giniLeft = 1 - ((wl - sl) * (wl - sl) + sl * sl) / (wl * wl);
  const giniRight = 1 - ((wr - sr) * (wr - sr) + sr * sr) / (wr * wr);
  return -wr * giniRight - wl * giniLeft;
}

function consider(best: Split, proxy: number, feature: number, threshold: number, missingLeft: boolean): void {
  if (proxy > best.proxy) {
    best.proxy = proxy;
    best.feature = feature;
    best.threshold = threshold;
    best.missingLeft = missingLeft;
  }
}

/** sklearn's threshold between two neighbouring values: their midpoint, or the lower one when rounding reaches the upper. */
function midpoint(a: number, b: number): number {
  const t = a / 2 + b / 2;
  return t === b || !Number.isFinite(t) ? a : t;
}

/** Below this many keys, insertion sort beats the native sort's call and view. */
const SMALL_SORT = 24;

function sortPrefix(keys: Float64Array, k: number): void {
  if (k > SMALL_SORT) {
    keys.subarray(0, k).sort();
    return;
  }
  for (let i = 1; i < k; i++) {
    const v = keys[i];
    let j = i - 1;
    for (; j >= 0 && keys[j] > v; j--) keys[j + 1] = keys[j];
    keys[j + 1] = v;
  }
}

function denseRanks(values: Float64Array): Int32Array {
  const distinct = Float64Array.from(new Set(values));
  const unique = distinct.filter((v) => v === v).sort();
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) {
      out[i] = -1;
      continue;
    }
    let lo = 0;
    let hi = unique.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (unique[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}
