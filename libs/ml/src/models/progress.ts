/** A progress report during training: one per boosting round or forest tree, or per block of optimiser iterations. */
export interface TrainingProgress {
  readonly algorithm: 'logreg' | 'linear' | 'gbdt' | 'random_forest';
  /** Boosting round, forest tree or optimiser iteration (1-based). */
  readonly iteration: number;
  /** Upper bound on iterations (`maxIter`, or a forest's `nEstimators`). */
  readonly maxIterations: number;
  /**
   * Training objective (mean loss, including the penalty for logistic regression); for a forest,
   * the tree's mean leaf impurity on its bootstrap sample.
   */
  readonly trainLoss: number;
  /** Loss on the early-stopping validation set, when there is one. */
  readonly validationLoss?: number;
}

export type ProgressCallback = (progress: TrainingProgress) => void;
