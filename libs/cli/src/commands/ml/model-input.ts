import { type LoadedModel, type Table, schemaOf } from '@flywheel/ml';
import { readCsv } from './files';

/**
 * Reads rows for a model: its features must be columns and are read as the model expects them;
 * with `withLabel` its label column must be there too (of either type: evaluation matches
 * classes by their text).
 */
export function readModelInput(model: LoadedModel, path: string, options: { withLabel: boolean }): Table {
  const label = model.artifact.label.name;
  return readCsv(path, '--data', {
    schema: schemaOf(model.signature),
    present: options.withLabel ? [label] : [],
    missing: (name) => (name === label ? `has no column "${label}", the model's label` : `has no column "${name}", a feature of the model`),
  });
}
