export { evaluateModel } from './evaluate';
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
export { type BatchPrediction, LoadedModel, type RowPrediction, loadModel } from './loaded-model';
export { ALGORITHMS, type Algorithm, type RawParamValue, type ResolvedParams, paramNames, resolveParams } from './params';
