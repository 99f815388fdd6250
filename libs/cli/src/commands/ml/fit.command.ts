import { performance } from 'node:perf_hooks';
import {
  ALGORITHMS,
  type Algorithm,
  type TrainingProgress,
  defaultFeatures,
  fitModel,
  hasColumn,
  paramNames,
  resolveParams,
} from '@flywheel/ml';
import { type Command } from '../../command';
import { UsageError, userInput } from '../../errors';
import { wrap } from '../../help';
import { formatSeconds, formatValue, toJson } from '../../output';
import { columnNames, readCsv, writeText } from './files';
import { metricsTable } from './metrics-table';
import { threadsOf, threadsOption } from './threads-option';

export const fitCommand: Command = {
  kind: 'command',
  name: 'fit',
  summary: 'Fit a model on a CSV file and write it as a JSON artifact.',
  usage: '--data <file> --label <column> --algo logreg|linear|gbdt|random_forest --out <file> [options]',
  options: {
    data: { type: 'string', required: true, value: 'file', description: 'training data, CSV with a header row' },
    label: { type: 'string', required: true, value: 'column', description: 'the column to predict' },
    algo: {
      type: 'string',
      required: true,
      value: 'algo',
      description:
        'logreg (logistic regression), linear (linear/ridge regression), gbdt (gradient-boosted trees) or random_forest (a random forest)',
    },
    param: {
      type: 'string',
      multiple: true,
      value: 'key=value',
      description: 'an algorithm parameter, e.g. C=0.5 or max_iter=200 (scikit-learn or camelCase spelling)',
    },
    seed: { type: 'string', value: 'n', description: 'seed for the validation split and training (default 0)' },
    features: {
      type: 'string',
      value: 'a,b,c',
      description: 'feature columns (default: every column but the label, identifiers and timestamps)',
    },
    include: { type: 'string', value: 'a,b', description: 'columns the default leaves out to train on all the same' },
    out: { type: 'string', required: true, value: 'file', description: 'where to write the model' },
    json: { type: 'boolean', description: 'print one JSON document instead of tables' },
    ...threadsOption,
  },
  details: [
    'A seeded share of the rows (parameter holdout, default 0.2; stratified for classifiers) is held',
    'out; the table shows the metrics on it next to those on the training rows. Progress goes to',
    'stderr: one line per boosting round (gbdt), per tree (random_forest) or per 10 optimiser',
    'iterations (logreg); linear regression is solved in closed form.',
    '',
    'Parameters (camelCase or scikit-learn snake_case; a bad value is named with what is allowed):',
    ...ALGORITHMS.flatMap((a) => wrap(`${a}: ${paramNames(a).join(', ')}`, 90).map((line, i) => `  ${i === 0 ? '' : '  '}${line}`)),
  ].join('\n'),
  run(options, io) {
    const algo = options.required('algo');
    if (!(ALGORITHMS as readonly string[]).includes(algo))
      throw new UsageError(`--algo must be one of ${ALGORITHMS.join(', ')}, got ${JSON.stringify(algo)}`);
    const seed = options.number('seed', { integer: true, min: 0 }) ?? 0;
    const threads = threadsOf(options);
    const params = Object.fromEntries(options.pairs('param')) as Record<string, string>;
    // Parameters are checked before the data is read, so a typo fails at once.
    userInput(null, () => resolveParams(algo as Algorithm, params));
    const dataPath = options.required('data');
    const label = options.required('label');
    const out = options.required('out');

    const data = readCsv(dataPath, '--data');
    if (!hasColumn(data, label)) throw new UsageError(`${dataPath} has no column "${label}" for --label (columns: ${columnNames(data)})`);
    const named = options.list('features');
    const include = options.list('include');
    if (named && include) throw new UsageError('--include adds to the default features; with --features, name them all there');
    for (const [option, columns] of [
      ['--features', named],
      ['--include', include],
    ] as const)
      for (const f of columns ?? [])
        if (!hasColumn(data, f))
          throw new UsageError(`${dataPath} has no column "${f}" named by ${option} (columns: ${columnNames(data)})`);
    let features = named;
    if (!features) {
      // Identifiers and timestamps let a model memorise rows: left out unless asked for, and said so.
      const defaults = defaultFeatures(data, label);
      const left = defaults.excluded.filter((column) => !include?.includes(column.name));
      features = data.columns.map((c) => c.name).filter((name) => name !== label && !left.some((column) => column.name === name));
      if (left.length > 0)
        io.stderr(
          `fit: left out of the features: ${left.map((column) => `${column.name} (${column.reason})`).join(', ')}; --include or --features trains on them\n`,
        );
    }
    const started = performance.now();
    const artifact = userInput(null, () =>
      fitModel({
        table: data,
        label,
        algo: algo as Algorithm,
        params,
        seed,
        features,
        threads,
        onProgress: (p) => io.stderr(`${progressLine(p)}\n`),
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    writeText(out, '--out', `${JSON.stringify(artifact)}\n`);
    const { training } = artifact;
    const unit = algo === 'random_forest' ? 'trees' : 'iterations';
    const iterations = training.iterations ? `${training.iterations} ${unit}${training.stop ? ` (${training.stop})` : ''} in ` : '';
    io.stderr(
      `fit: ${algo} on ${dataPath} (${training.rows} rows, ${artifact.signature.features.length} features): ${iterations}${formatSeconds(seconds)}; model written to ${out}\n`,
    );

    const classes = artifact.label.classes;
    if (options.flag('json')) {
      io.stdout(
        toJson({
          model: out,
          algorithm: artifact.algorithm,
          task: artifact.task,
          label: artifact.label.name,
          ...(classes ? { classes } : {}),
          parameters: artifact.parameters,
          rows: training.rows,
          trainRows: training.trainRows,
          validationRows: training.validationRows,
          iterations: training.iterations,
          ...(training.stop ? { stop: training.stop } : {}),
          seconds,
          metrics: artifact.metrics,
        }),
      );
      return;
    }
    const what = classes
      ? `${artifact.task} classifier of "${artifact.label.name}" (classes ${classes.join(', ')})`
      : `regression of "${artifact.label.name}"`;
    io.stdout(`${out}: ${artifact.algorithm}, ${what}; ${training.trainRows} training and ${training.validationRows} validation rows\n\n`);
    io.stdout(
      `${metricsTable([
        { title: 'validation', metrics: artifact.metrics.validation },
        { title: 'train', metrics: artifact.metrics.train },
      ])}\n`,
    );
  },
};

function progressLine(p: TrainingProgress): string {
  const step = p.algorithm === 'gbdt' ? 'round' : p.algorithm === 'random_forest' ? 'tree' : 'iteration';
  const validation = p.validationLoss === undefined ? '' : `  validation loss ${formatValue(p.validationLoss, 6)}`;
  return `  ${step} ${p.iteration}/${p.maxIterations}  train loss ${formatValue(p.trainLoss, 6)}${validation}`;
}
