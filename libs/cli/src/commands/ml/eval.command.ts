import { evaluateModel } from '@flywheel/ml';
import { type Command } from '../../command';
import { userInput } from '../../errors';
import { toJson } from '../../output';
import { readModel } from './files';
import { metricsTable } from './metrics-table';
import { readModelInput } from './model-input';
import { threadsOf, threadsOption } from './threads-option';

export const evalCommand: Command = {
  kind: 'command',
  name: 'eval',
  summary: 'Score a model on labelled rows: the metrics fit reports, on a file of your choice.',
  usage: '--model <file> --data <file> [--threads <n>] [--json]',
  options: {
    model: { type: 'string', required: true, value: 'file', description: 'a model written by flywheel ml fit' },
    data: { type: 'string', required: true, value: 'file', description: "CSV with the model's features and its label column" },
    json: { type: 'boolean', description: 'print one JSON document instead of a table' },
    ...threadsOption,
  },
  details: [
    'Classifiers: accuracy, precision, recall and F1 (of the positive class — the second of two',
    'classes in sorted order — or macro and weighted averages for more classes), ROC AUC, log loss,',
    'and the Brier score for two classes. Regression: rmse, mae, r2.',
  ].join('\n'),
  run(options, io) {
    const modelPath = options.required('model');
    const dataPath = options.required('data');
    const threads = threadsOf(options);
    const model = readModel(modelPath);
    const data = readModelInput(model, dataPath, { withLabel: true });
    const metrics = userInput(dataPath, () => evaluateModel(model, data, { threads }));
    if (options.flag('json')) {
      io.stdout(
        toJson({ model: modelPath, data: dataPath, rows: data.nRows, task: model.task, label: model.artifact.label.name, metrics }),
      );
      return;
    }
    io.stdout(`${modelPath} (${model.artifact.algorithm}, ${model.task}) on ${dataPath}: ${data.nRows} rows\n\n`);
    io.stdout(`${metricsTable([{ title: 'value', metrics }])}\n`);
  },
};
