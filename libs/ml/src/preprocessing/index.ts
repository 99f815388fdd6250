export {
  type CategoricalStep,
  type ImputeStrategy,
  type NumericStep,
  type PreprocessOptions,
  type PreprocessStep,
  Preprocessor,
  type PreprocessorState,
  fitPreprocessor,
  signatureOf,
} from './preprocessor';
export { type FeatureSpec, type InputRow, type ModelSignature, SignatureError, checkTable, schemaOf } from './signature';
