export { type LbfgsOptions, type LbfgsResult, type Objective, minimizeLbfgs } from './lbfgs';
export { type LinearModel, type LinearRegressionOptions, fitLinearRegression, predictLinear } from './linear-regression';
export {
  type LogisticFit,
  type LogisticModel,
  type LogisticRegressionOptions,
  fitLogisticRegression,
  predictLogisticProba,
  sigmoid,
} from './logistic-regression';
export {
  type GbdtFit,
  type GbdtLoss,
  type GbdtModel,
  type GbdtOptions,
  addGbdtRaw,
  fitGbdt,
  gbdtRawRow,
  shouldStop,
} from './hist-gradient-boosting';
export {
  type ForestCriterion,
  type MaxFeatures,
  type RandomForestModel,
  type RandomForestOptions,
  fitRandomForest,
  resolveMaxFeatures,
} from './random-forest';
export { findBinThresholds, mapToBins } from './hist-binning';
export { type TreeArrays } from './hist-tree';
export { type ProgressCallback, type TrainingProgress } from './progress';
