import { type SerializedTree } from '../format';

/**
 * `start` plus the leaves `x` reaches, added in tree order as the flattened forest adds them,
 * walked node by node down the serialized trees.
 */
export function walkTrees(trees: readonly SerializedTree[], x: Float64Array, start = 0): number {
  let sum = start;
  for (const t of trees) {
    let node = 0;
    while (t.left[node] >= 0) {
      const v = x[t.feature[node]];
      const left = Number.isNaN(v) ? t.missingLeft[node] === 1 : v <= (t.threshold[node] ?? Infinity);
      node = left ? t.left[node] : t.right[node];
    }
    sum += t.value[node];
  }
  return sum;
}
