export { EXPORT_IR_VERSION, EXPORT_OPSETS, EXPORT_OUTPUTS, type ExportOptions, exportedFeeds, exportModel } from './export/export-model';
export { type OnnxRuntimeOptions, type OnnxSession, OnnxRuntime } from './runtime/onnx-runtime';
export { type TensorData, type TensorType } from './runtime/onnx-runtime.types';
export {
  CLASSES_METADATA_KEY,
  DEFAULT_ONNX_MAX_BYTES,
  DESCRIPTION_METADATA_KEY,
  type InspectedOnnx,
  type InspectOptions,
  inspectOnnx,
  type OnnxInputBinding,
  OnnxImportError,
  type OnnxModelDescription,
} from './import/inspect-onnx';
export { OnnxModel } from './runtime/onnx-model';
export { type ArtifactKind, artifactKind } from './import/artifact-kind';
