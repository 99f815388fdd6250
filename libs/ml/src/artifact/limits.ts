/**
 * How big a model artifact may be, counted while it is validated: a crafted artifact (millions
 * of trees, a chain of nodes as deep as the file allows, a coefficient array of the whole file)
 * costs its loader memory and time, and every prediction that walks it. The defaults hold every
 * model the trainer can produce: its parameters are bounded by them (see params.ts) and the
 * trainer checks each artifact it writes with them.
 */
export interface ArtifactLimits {
  /** Trees of a boosted model (one per boosting round) or of a forest. */
  readonly maxTrees: number;
  /** Edges from a tree's root to its deepest leaf. */
  readonly maxTreeDepth: number;
  readonly maxNodesPerTree: number;
  /** Nodes of all trees together. */
  readonly maxTotalNodes: number;
  /** Input features of the signature. */
  readonly maxFeatures: number;
  /** Categories of all categorical features together. */
  readonly maxCategories: number;
  readonly maxClasses: number;
  /** Weights of a linear or logistic model (classes × model inputs). */
  readonly maxCoefficients: number;
}

/** Leaves a grown tree may have at most: a binary tree of `maxNodesPerTree` nodes. */
export const MAX_TREE_LEAVES = 65_536;

export const DEFAULT_ARTIFACT_LIMITS: ArtifactLimits = Object.freeze({
  maxTrees: 10_000,
  maxTreeDepth: 512,
  maxNodesPerTree: 2 * MAX_TREE_LEAVES - 1,
  // ~120 MB once flattened for serving; the trainer's default model has 100 trees of ≤ 61 nodes.
  maxTotalNodes: 4_194_304,
  maxFeatures: 10_000,
  maxCategories: 100_000,
  maxClasses: 10_000,
  maxCoefficients: 4_194_304,
});

const WHAT: Readonly<Record<keyof ArtifactLimits, string>> = {
  maxTrees: 'trees',
  maxTreeDepth: 'tree depth',
  maxNodesPerTree: 'nodes in one tree',
  maxTotalNodes: 'nodes in all trees',
  maxFeatures: 'features',
  maxCategories: 'categories',
  maxClasses: 'classes',
  maxCoefficients: 'coefficients',
};

/** Fails with a message naming the limit and the value when `value` exceeds `limits[limit]`. */
export function checkLimit(limits: ArtifactLimits, limit: keyof ArtifactLimits, value: number, path: string): void {
  if (value > limits[limit]) throw new ArtifactLimitError(path, limit, value, limits[limit]);
}

/** A well-formed artifact too big to load: which limit, and by how much. */
export class ArtifactLimitError extends Error {
  constructor(
    readonly path: string,
    readonly limit: keyof ArtifactLimits,
    readonly value: number,
    readonly max: number,
  ) {
    super(`model artifact over its limits: ${path}: ${WHAT[limit]} ${value}, over the limit of ${max} (${limit})`);
    this.name = 'ArtifactLimitError';
  }
}
