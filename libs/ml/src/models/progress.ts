/** A progress report during training: one per boosting round, or per block of optimiser iterations. */
export interface TrainingProgress {
  readonly algorithm: 'logreg' | 'linear' | 'gbdt';
  /** Boosting round or optimiser iteration (1-based). */
  readonly iteration: number;
  /** Upper bound on iterations (`maxIter`). */
  readonly maxIterations: number;
  /** Training objective (mean loss, including the penalty for logistic regression). */
  readonly trainLoss: number;
  /** Loss on the early-stopping validation set, when there is one. */
  readonly validationLoss?: number;
}

export type ProgressCallback = (progress: TrainingProgress) => void;
