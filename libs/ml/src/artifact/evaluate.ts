import { type Table, MISSING_CODE, getColumn } from '../table/table';
import { type Task } from './format';
import { type BatchOptions, type BatchPrediction, type LoadedModel } from './loaded-model';
import { evaluatePredictions } from './training-metrics';

/** What a model is, for reading its labels: its task, its label column and its classes in order. */
export interface LabelledTask {
  readonly task: Task;
  readonly label: string;
  readonly classes: readonly (number | string)[];
}

/**
 * Metrics of a model on labelled rows (the table holds the features and the model's label
 * column), the same set `fitModel` reports. A missing label, or a class the model never saw,
 * is an error naming the row. `options.threads` score a boosted-trees batch on several cores.
 */
export function evaluateModel(model: LoadedModel, table: Table, options: BatchOptions = {}): Record<string, number> {
  const labelled = { task: model.task, label: model.artifact.label.name, classes: model.classes };
  const targets = labelTargets(labelled, table);
  return evaluatePredictions(model.task, model.predictTable(table, options), targets.classIndex, targets.values);
}

/**
 * Metrics of predictions some other runtime made (an imported ONNX graph) on labelled rows,
 * read and reported exactly as {@link evaluateModel} does.
 */
export function evaluateBatch(model: LabelledTask, table: Table, prediction: BatchPrediction): Record<string, number> {
  const targets = labelTargets(model, table);
  return evaluatePredictions(model.task, prediction, targets.classIndex, targets.values);
}

/** The label column as values (regression) or class indices; a missing or unknown label names its row. */
function labelTargets(model: LabelledTask, table: Table): { readonly values: Float64Array; readonly classIndex: Int32Array | null } {
  const name = model.label;
  const label = getColumn(table, name);
  const n = table.nRows;
  if (n === 0) throw new Error('cannot evaluate on an empty table');
  const values = new Float64Array(n);
  let classIndex: Int32Array | null = null;
  if (model.task === 'regression') {
    if (label.type !== 'numeric') throw new Error(`label "${name}" must be numeric for a regression model`);
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(label.values[i])) throw new Error(`label "${name}" is missing in row ${i + 1}`);
      values[i] = label.values[i];
    }
  } else {
    const index = new Map(model.classes.map((c, k) => [String(c), k]));
    classIndex = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let key: string | null;
      if (label.type === 'numeric') key = Number.isNaN(label.values[i]) ? null : String(label.values[i]);
      else key = label.codes[i] === MISSING_CODE ? null : label.dictionary[label.codes[i]];
      if (key === null) throw new Error(`label "${name}" is missing in row ${i + 1}`);
      const k = index.get(key);
      if (k === undefined)
        throw new Error(
          `label "${name}" in row ${i + 1} is ${JSON.stringify(key)}, a class the model does not know (${model.classes.join(', ')})`,
        );
      classIndex[i] = k;
      values[i] = k;
    }
  }
  return { values, classIndex };
}
