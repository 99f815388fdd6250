export { evaluateBatch, evaluateModel, type LabelledTask } from './evaluate';
export { type FitModelInput, fitModel } from './fit-model';
export {
  ArtifactError,
  FORMAT_VERSION,
  type LabelInfo,
  type ModelArtifact,
  type ModelState,
  type SerializedTree,
  type Task,
  type TrainingInfo,
  validateArtifact,
} from './format';
export { ArtifactLimitError, type ArtifactLimits, DEFAULT_ARTIFACT_LIMITS, MAX_TREE_LEAVES } from './limits';
export {
  type BatchOptions,
  type BatchPrediction,
  CompactModel,
  type CompactModelParts,
  type ForestOutput,
  compactModelFromBytes,
  compactPartsOf,
  LoadedModel,
  type RowPrediction,
  loadModel,
  transferablesOf,
} from './loaded-model';
export { ALGORITHMS, type Algorithm, type RawParamValue, type ResolvedParams, paramNames, resolveParams } from './params';
