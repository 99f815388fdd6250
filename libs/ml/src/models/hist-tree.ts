/**
 * Growing one regression tree on binned data from gradients and hessians, following sklearn's
 * HistGradientBoosting `TreeGrower` and `Splitter` (1.2): best-first growth by split gain,
 * histograms of (gradient, hessian, count) per feature and bin, the smaller child's histogram
 * built from its rows and the larger one's as parent minus smaller, and missing values sent to
 * whichever side gains more.
 */
import { type HistogramThreads } from './histogram-threads';

/** Bins per feature in histograms: 255 value bins + the missing bin. */
const N_BINS = 256;
/** sklearn's `min_hessian_to_split` default. */
const MIN_HESSIAN_TO_SPLIT = 1e-3;
/** Numbers per histogram bin: gradient, hessian, count. */
const STRIDE = 3;

export interface GrowerParams {
  readonly maxLeafNodes: number | null;
  readonly maxDepth: number | null;
  readonly minSamplesLeaf: number;
  readonly l2Regularization: number;
  readonly learningRate: number;
}

/** Binned training data shared by every tree. */
export interface BinnedData {
  readonly nRows: number;
  /** One array per feature, `nRows` bin indices. */
  readonly bins: readonly Uint8Array[];
  /** The same bins row-major (`nRows × nFeatures`): one row's bins share a cache line. */
  readonly rows: Uint8Array;
  /** Bins holding actual values per feature (thresholds + 1); the missing bin is `missingBin`. */
  readonly nBinsNonMissing: Int32Array;
  readonly hasMissing: Uint8Array;
  readonly missingBin: number;
  /** Bin thresholds per feature, to turn a bin split into a raw-value split. */
  readonly thresholds: readonly Float64Array[];
}

/** A fitted tree as flat arrays; nodes in depth-first order, so children always follow their parent. */
export interface TreeArrays {
  /** Split feature, -1 for a leaf. */
  readonly feature: Int32Array;
  /** Go left when the bin index is ≤ this. */
  readonly binThreshold: Int32Array;
  /** Go left when the raw value is ≤ this (+∞ for a split of values against missing ones). */
  readonly threshold: Float64Array;
  readonly missingLeft: Uint8Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Leaf value, already multiplied by the learning rate. */
  readonly value: Float64Array;
}

interface SplitInfo {
  gain: number;
  feature: number;
  bin: number;
  missingLeft: boolean;
  gradLeft: number;
  hessLeft: number;
  countLeft: number;
  gradRight: number;
  hessRight: number;
  countRight: number;
}

interface GrowNode {
  start: number;
  stop: number;
  depth: number;
  sumGrad: number;
  sumHess: number;
  value: number;
  hist: Float64Array | null;
  split: SplitInfo | null;
  left: GrowNode | null;
  right: GrowNode | null;
  isLeaf: boolean;
}

/** Numbers in one node's histogram over `nFeatures` features. */
export function histogramSize(nFeatures: number): number {
  return nFeatures * N_BINS * STRIDE;
}

/** Reusable buffers for growing trees on one data set. */
export class TreeGrower {
  /** Row indices, grouped by node: each node owns a contiguous range. */
  readonly partition: Int32Array;
  private readonly scratch: Int32Array;
  /** Per bin, 1 when the split in hand sends it left. */
  private readonly goesLeft = new Uint8Array(N_BINS);
  private readonly pool: Float64Array[] = [];
  private readonly histSize: number;

  /**
   * With `threads`, histograms live in its shared memory and are built by its threads, and the
   * row partition is its shared array.
   */
  constructor(
    private readonly data: BinnedData,
    private readonly params: GrowerParams,
    private readonly threads: HistogramThreads | null = null,
  ) {
    this.partition = threads ? threads.partition : new Int32Array(data.nRows);
    this.scratch = new Int32Array(data.nRows);
    this.histSize = histogramSize(data.bins.length);
  }

  /**
   * Grows one tree and adds its leaf values to `raw` for the training rows (the leaves already
   * know their rows, so no traversal is needed).
   */
  grow(gradients: Float32Array, hessians: Float32Array, raw: Float64Array): TreeArrays {
    const { nRows } = this.data;
    const { minSamplesLeaf, maxLeafNodes, maxDepth } = this.params;
    const partition = this.partition;
    for (let i = 0; i < nRows; i++) partition[i] = i;
    let sumGrad = 0;
    let sumHess = 0;
    for (let i = 0; i < nRows; i++) {
      sumGrad += gradients[i];
      sumHess += hessians[i];
    }
    // sklearn 1.2 creates the root with value 0 (its gain is then measured from 0; the choice of
    // split is the same, only the reported gain differs).
    const root = newNode(0, nRows, 0, sumGrad, sumHess, 0);
    const leaves: GrowNode[] = [];
    const splittable: GrowNode[] = [];
    const finalize = (node: GrowNode): void => {
      node.isLeaf = true;
      if (node.hist) this.pool.push(node.hist);
      node.hist = null;
      leaves.push(node);
    };
    const trySplit = (node: GrowNode): void => {
      node.split = this.findSplit(node);
      if (node.split.gain <= 0) finalize(node);
      else splittable.push(node);
    };

    if (nRows < 2 * minSamplesLeaf || sumHess < MIN_HESSIAN_TO_SPLIT) finalize(root);
    else {
      root.hist = this.buildHistogram(root, gradients, hessians, true);
      trySplit(root);
    }

    while (splittable.length > 0) {
      // Highest gain first; the earliest pushed wins ties.
      let best = 0;
      for (let k = 1; k < splittable.length; k++)
        if ((splittable[k].split as SplitInfo).gain > (splittable[best].split as SplitInfo).gain) best = k;
      const node = splittable.splice(best, 1)[0];
      const split = node.split as SplitInfo;
      const mid = this.partitionRows(node, split);
      const depth = node.depth + 1;
      const nLeaves = leaves.length + splittable.length + 2;
      const l2 = this.params.l2Regularization;
      const left = newNode(node.start, mid, depth, split.gradLeft, split.hessLeft, -split.gradLeft / (split.hessLeft + l2));
      const right = newNode(mid, node.stop, depth, split.gradRight, split.hessRight, -split.gradRight / (split.hessRight + l2));
      node.left = left;
      node.right = right;
      // With no missing values in training, missing values at prediction time follow the larger child.
      if (!this.data.hasMissing[split.feature]) split.missingLeft = mid - node.start > node.stop - mid;

      const parentHist = node.hist as Float64Array;
      node.hist = null;
      if (maxLeafNodes !== null && nLeaves === maxLeafNodes) {
        this.pool.push(parentHist);
        finalize(left);
        finalize(right);
        while (splittable.length > 0) finalize(splittable.pop() as GrowNode);
        break;
      }
      if (maxDepth !== null && depth === maxDepth) {
        this.pool.push(parentHist);
        finalize(left);
        finalize(right);
        continue;
      }
      if (left.stop - left.start < 2 * minSamplesLeaf) finalize(left);
      if (right.stop - right.start < 2 * minSamplesLeaf) finalize(right);
      if (left.isLeaf && right.isLeaf) {
        this.pool.push(parentHist);
        continue;
      }
      const leftSmaller = left.stop - left.start < right.stop - right.start;
      const small = leftSmaller ? left : right;
      const large = leftSmaller ? right : left;
      const smallHist = this.buildHistogram(small, gradients, hessians, false);
      // The larger child's histogram is the parent's minus the smaller one's, computed in place.
      for (let i = 0; i < parentHist.length; i++) parentHist[i] -= smallHist[i];
      small.hist = small.isLeaf ? (this.pool.push(smallHist), null) : smallHist;
      large.hist = large.isLeaf ? (this.pool.push(parentHist), null) : parentHist;
      if (!left.isLeaf) trySplit(left);
      if (!right.isLeaf) trySplit(right);
    }

    const lr = this.params.learningRate;
    for (const leaf of leaves) {
      const v = leaf.value * lr;
      leaf.value = v;
      for (let i = leaf.start; i < leaf.stop; i++) raw[partition[i]] += v;
    }
    return this.flatten(root);
  }

  private takeHistogram(): Float64Array {
    const h = this.pool.pop();
    if (h) {
      h.fill(0);
      return h;
    }
    return this.threads ? this.threads.newHistogram() : new Float64Array(this.histSize);
  }

  private buildHistogram(node: GrowNode, gradients: Float32Array, hessians: Float32Array, isRoot: boolean): Float64Array {
    const hist = this.takeHistogram();
    if (this.threads) this.threads.build(hist, node.start, node.stop, isRoot);
    else accumulateHistogram(hist, this.data, gradients, hessians, this.partition, node.start, node.stop, isRoot, 0, this.data.bins.length);
    return hist;
  }

  /** Best split over all features (sklearn's `find_node_split`); gain ≤ 0 when there is none. */
  private findSplit(node: GrowNode): SplitInfo {
    const hist = node.hist as Float64Array;
    const { nBinsNonMissing, hasMissing } = this.data;
    const { minSamplesLeaf, l2Regularization: l2 } = this.params;
    const nSamples = node.stop - node.start;
    const { sumGrad, sumHess } = node;
    const lossCurrent = sumGrad * node.value;
    const best: SplitInfo = {
      gain: -1,
      feature: -1,
      bin: 0,
      missingLeft: false,
      gradLeft: 0,
      hessLeft: 0,
      countLeft: 0,
      gradRight: 0,
      hessRight: 0,
      countRight: 0,
    };
    const gainOf = (gl: number, hl: number, gr: number, hr: number): number => {
      // loss(node) − loss(left) − loss(right) with loss = G·value and value = −G/(H + λ).
      const vl = -gl / (hl + l2);
      const vr = -gr / (hr + l2);
      return lossCurrent - gl * vl - gr * vr;
    };
    for (let f = 0; f < nBinsNonMissing.length; f++) {
      const base = f * N_BINS * STRIDE;
      const missing = hasMissing[f] === 1;
      // Left to right: missing values (not accumulated) go right. The last value bin may go
      // left only when missing values exist to form the right child.
      const end = nBinsNonMissing[f] - 1 + (missing ? 1 : 0);
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < end; b++) {
        const o = base + b * STRIDE;
        gl += hist[o];
        hl += hist[o + 1];
        cl += hist[o + 2];
        const cr = nSamples - cl;
        const hr = sumHess - hl;
        const gr = sumGrad - gl;
        if (cl < minSamplesLeaf) continue;
        if (cr < minSamplesLeaf) break;
        if (hl < MIN_HESSIAN_TO_SPLIT) continue;
        if (hr < MIN_HESSIAN_TO_SPLIT) break;
        const gain = gainOf(gl, hl, gr, hr);
        if (gain > best.gain && gain > 0) setBest(best, gain, f, b, false, gl, hl, cl, gr, hr, cr);
      }
      if (!missing) continue;
      // Right to left: missing values (not accumulated) go left.
      let gr = 0;
      let hr = 0;
      let cr = 0;
      for (let b = nBinsNonMissing[f] - 2; b >= 0; b--) {
        const o = base + (b + 1) * STRIDE;
        gr += hist[o];
        hr += hist[o + 1];
        cr += hist[o + 2];
        const cl2 = nSamples - cr;
        const hl2 = sumHess - hr;
        const gl2 = sumGrad - gr;
        if (cr < minSamplesLeaf) continue;
        if (cl2 < minSamplesLeaf) break;
        if (hr < MIN_HESSIAN_TO_SPLIT) continue;
        if (hl2 < MIN_HESSIAN_TO_SPLIT) break;
        const gain = gainOf(gl2, hl2, gr, hr);
        if (gain > best.gain && gain > 0) setBest(best, gain, f, b, true, gl2, hl2, cl2, gr, hr, cr);
      }
    }
    return best;
  }

  /**
   * Stable in-place partition of the node's rows; returns the index where the right child starts.
   * Which side a bin goes to is looked up, and every row is written to both sides with only
   * the cursor of its own side moving on: no branch on the data, whose sides are as good as
   * random to a branch predictor (this was half the partition's time).
   */
  private partitionRows(node: GrowNode, split: SplitInfo): number {
    const col = this.data.bins[split.feature];
    const goesLeft = this.goesLeft;
    for (let b = 0; b < N_BINS; b++) goesLeft[b] = b <= split.bin ? 1 : 0;
    goesLeft[this.data.missingBin] = split.missingLeft ? 1 : 0;
    const idx = this.partition;
    const tmp = this.scratch;
    let l = node.start;
    let r = 0;
    for (let i = node.start; i < node.stop; i++) {
      const row = idx[i];
      const left = goesLeft[col[row]];
      idx[l] = row;
      tmp[r] = row;
      l += left;
      r += 1 - left;
    }
    idx.set(tmp.subarray(0, r), l);
    return l;
  }

  private flatten(root: GrowNode): TreeArrays {
    const order: GrowNode[] = [];
    const stack = [root];
    while (stack.length > 0) {
      const node = stack.pop() as GrowNode;
      order.push(node);
      if (!node.isLeaf) stack.push(node.right as GrowNode, node.left as GrowNode);
    }
    const index = new Map(order.map((n, i) => [n, i]));
    const m = order.length;
    const tree: TreeArrays = {
      feature: new Int32Array(m),
      binThreshold: new Int32Array(m),
      threshold: new Float64Array(m),
      missingLeft: new Uint8Array(m),
      left: new Int32Array(m),
      right: new Int32Array(m),
      value: new Float64Array(m),
    };
    order.forEach((node, i) => {
      tree.value[i] = node.value;
      if (node.isLeaf) {
        tree.feature[i] = -1;
        tree.left[i] = -1;
        tree.right[i] = -1;
        return;
      }
      const split = node.split as SplitInfo;
      tree.feature[i] = split.feature;
      tree.binThreshold[i] = split.bin;
      // A split after the last value bin separates values from missing ones: every value goes left.
      tree.threshold[i] =
        split.bin === this.data.nBinsNonMissing[split.feature] - 1 ? Infinity : this.data.thresholds[split.feature][split.bin];
      tree.missingLeft[i] = split.missingLeft ? 1 : 0;
      tree.left[i] = index.get(node.left as GrowNode) as number;
      tree.right[i] = index.get(node.right as GrowNode) as number;
    });
    return tree;
  }
}

/**
 * Adds the (gradient, hessian, count) of the rows `partition[start … stop − 1]` to `hist`, for
 * features `featureFrom … featureTo − 1`. The root holds every row in order, so it reads each
 * feature's bins straight down; other nodes go row by row over their scattered rows, each row's
 * bins read from one cache line instead of one line per feature, as LightGBM's row-wise
 * histograms do. Threads that split the features between them write disjoint parts of `hist`.
 */
export function accumulateHistogram(
  hist: Float64Array,
  data: Pick<BinnedData, 'bins' | 'rows'>,
  gradients: Float32Array,
  hessians: Float32Array,
  partition: Int32Array,
  start: number,
  stop: number,
  isRoot: boolean,
  featureFrom: number,
  featureTo: number,
): void {
  const n = stop - start;
  const featureStride = N_BINS * STRIDE;
  if (isRoot) {
    for (let f = featureFrom; f < featureTo; f++) {
      const col = data.bins[f];
      const base = f * featureStride;
      for (let i = 0; i < n; i++) {
        const b = base + col[i] * STRIDE;
        hist[b] += gradients[i];
        hist[b + 1] += hessians[i];
        hist[b + 2] += 1;
      }
    }
    return;
  }
  const rows = data.rows;
  const p = data.bins.length;
  for (let i = 0; i < n; i++) {
    const r = partition[start + i];
    const g = gradients[r];
    const h = hessians[r];
    const at = r * p;
    for (let f = featureFrom, base = featureFrom * featureStride; f < featureTo; f++, base += featureStride) {
      const b = base + rows[at + f] * STRIDE;
      hist[b] += g;
      hist[b + 1] += h;
      hist[b + 2] += 1;
    }
  }
}

function newNode(start: number, stop: number, depth: number, sumGrad: number, sumHess: number, value: number): GrowNode {
  return { start, stop, depth, sumGrad, sumHess, value, hist: null, split: null, left: null, right: null, isLeaf: false };
}

function setBest(
  best: SplitInfo,
  gain: number,
  feature: number,
  bin: number,
  missingLeft: boolean,
  gl: number,
  hl: number,
  cl: number,
  gr: number,
  hr: number,
  cr: number,
): void {
  best.gain = gain;
  best.feature = feature;
  best.bin = bin;
  best.missingLeft = missingLeft;
  best.gradLeft = gl;
  best.hessLeft = hl;
  best.countLeft = cl;
  best.gradRight = gr;
  best.hessRight = hr;
  best.countRight = cr;
}
