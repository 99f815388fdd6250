import { type BatchPrediction, type Column, hasColumn, makeTable, numericColumn, tableToCsv } from '@flywheel/ml';
import { type Command } from '../../command';
import { UsageError, userInput } from '../../errors';
import { toJson } from '../../output';
import { readModel, writeText } from './files';
import { readModelInput } from './model-input';
import { threadsOf, threadsOption } from './threads-option';

export const predictCommand: Command = {
  kind: 'command',
  name: 'predict',
  summary: 'Predict every row of a CSV file and write the rows with their predictions.',
  usage: '--model <file> --data <file> --out <file> [--threads <n>] [--json]',
  options: {
    model: { type: 'string', required: true, value: 'file', description: 'a model written by flywheel ml fit' },
    data: {
      type: 'string',
      required: true,
      value: 'file',
      description: "CSV with the model's features (other columns are carried through)",
    },
    out: { type: 'string', required: true, value: 'file', description: 'where to write the CSV with predictions' },
    json: { type: 'boolean', description: 'print a JSON summary instead of a sentence' },
    ...threadsOption,
  },
  details: [
    'The output holds every input column, then "prediction": the predicted value, or class label.',
    'Classifiers add "probability": for two classes, the probability of the positive class — the',
    "second of the model's classes in sorted order (1 for 0/1 labels), as scikit-learn's",
    'predict_proba[:, 1] — so any decision threshold can be applied to it; for more classes, the',
    'probability of the predicted class. Values are written as read: numbers in their shortest',
    'exact form, missing values as empty fields.',
  ].join('\n'),
  run(options, io) {
    const modelPath = options.required('model');
    const dataPath = options.required('data');
    const out = options.required('out');
    const threads = threadsOf(options);
    const model = readModel(modelPath);
    const data = readModelInput(model, dataPath, { withLabel: false });
    for (const name of model.task === 'regression' ? ['prediction'] : ['prediction', 'probability']) {
      if (hasColumn(data, name)) throw new UsageError(`${dataPath} already has a column "${name}", which the output adds; rename it`);
    }
    const added = predictionColumns(userInput(dataPath, () => model.predictTable(data, { threads })));
    const result = makeTable([...data.columns, ...added]);
    writeText(out, '--out', tableToCsv(result));
    const columns = result.columns.map((c) => c.name);
    if (options.flag('json')) {
      io.stdout(
        toJson({
          model: modelPath,
          data: dataPath,
          out,
          rows: result.nRows,
          columns,
          ...(model.task === 'binary' ? { positiveClass: model.classes[1] } : {}),
        }),
      );
      return;
    }
    const probability =
      model.task === 'binary'
        ? ` (of class ${JSON.stringify(model.classes[1])})`
        : model.task === 'multiclass'
          ? ' (of the predicted class)'
          : '';
    io.stdout(
      `wrote ${result.nRows} rows to ${out}: the ${data.columns.length} input columns, ${added.map((c) => c.name).join(', ')}${probability}\n`,
    );
  },
};

function predictionColumns(p: BatchPrediction): Column[] {
  if (p.task === 'regression') return [numericColumn('prediction', p.values)];
  const n = p.classIndex.length;
  // Classes keep the label's type: numbers stay numbers, text is written as text.
  const prediction: Column = p.classes.every((c) => typeof c === 'number')
    ? numericColumn(
        'prediction',
        Float64Array.from(p.classIndex, (k) => p.classes[k] as number),
      )
    : { name: 'prediction', type: 'categorical', codes: p.classIndex, dictionary: p.classes.map(String) };
  const probability = new Float64Array(n);
  if (p.task === 'binary') probability.set(p.probabilities[1]);
  else for (let i = 0; i < n; i++) probability[i] = p.probabilities[p.classIndex[i]][i];
  return [prediction, numericColumn('probability', probability)];
}
