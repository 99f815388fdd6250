import { type InputRow, type ModelSignature, type RowPrediction, type Task } from '@flywheel/ml';
import { type OnnxInputBinding, OnnxModel } from '@flywheel/onnx';

/**
 * A model the deployer serves, whichever format it came in: a Flywheel-trained artifact
 * (CompactModel, scored on the serving thread, so its answer is there at once) or an imported
 * ONNX graph (OnnxModel, scored in the ONNX runtime's process, so its answer is a promise). Both
 * check a row against their signature the same way and throw SignatureError naming the field.
 */
export interface ServableModel {
  readonly task: Task;
  readonly classes: readonly (number | string)[];
  readonly signature: ModelSignature;
  predictRow(row: InputRow): RowPrediction | Promise<RowPrediction>;
  /** Frees what the model holds outside the heap (an ONNX session); a model without any has none. */
  release?(): void | Promise<void>;
}

/**
 * The graph's own inputs of an ONNX model, each with the features its columns carry; undefined
 * for a native model, whose inputs are its features.
 */
export function graphInputsOf(model: ServableModel): readonly OnnxInputBinding[] | undefined {
  return model instanceof OnnxModel ? model.description.inputs : undefined;
}
