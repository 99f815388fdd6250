import {
  type ColumnDriftOptions,
  type DatasetDriftRule,
  type DriftColumnInput,
  type DriftReport,
  STAT_TEST_KIND,
  type StatTestName,
  type Table,
  driftReport,
  getColumn,
  hasColumn,
} from '@flywheel/ml';
import { parseNumber } from '../../args';
import { type Command } from '../../command';
import { UsageError, userInput } from '../../errors';
import { formatValue, table, toJson } from '../../output';
import { columnNames, readCsv } from './files';

const TESTS = Object.keys(STAT_TEST_KIND) as StatTestName[];

export const driftCommand: Command = {
  kind: 'command',
  name: 'drift',
  summary: 'Compare the distribution of every column of two CSV files and decide whether the data drifted.',
  usage: '--reference <file> --current <file> [options]',
  options: {
    reference: { type: 'string', required: true, value: 'file', description: 'the baseline data, e.g. the training set' },
    current: { type: 'string', required: true, value: 'file', description: 'the data to compare with it' },
    columns: {
      type: 'string',
      value: 'a,b,c',
      description: 'columns to compare (default: every column of the reference; each must be in both files)',
    },
    stattest: {
      type: 'string',
      multiple: true,
      value: 'column=test',
      description: `the test for a column, or for every column when given without "column=": ${TESTS.join(', ')}`,
    },
    threshold: {
      type: 'string',
      multiple: true,
      value: 'column=x',
      description: 'the drift threshold for a column, or for every column when given without "column="',
    },
    'dataset-share': {
      type: 'string',
      value: 'share',
      description: 'the dataset drifts when at least this share of the columns does (default 0.5)',
    },
    fdr: {
      type: 'string',
      value: 'q',
      description:
        'instead decide the p-value columns by Benjamini–Hochberg at this false discovery rate; the dataset drifts when any column does',
    },
    json: { type: 'boolean', description: 'print one JSON document instead of a table' },
  },
  details: [
    'The default test follows Evidently: with at most 1000 reference rows, ks for numeric columns with',
    'more than 5 distinct values (drift at p <= 0.05), else chisquare, or z for two values (p < 0.05);',
    'above 1000 rows, wasserstein (normalised by the reference std) for numeric columns and',
    'jensenshannon otherwise (drift at >= 0.1). psi is available (>= 0.1). Column types come from the',
    'reference file; a value in the current file that does not fit them is an error. Missing values',
    'are left out of every test.',
  ].join('\n'),
  run(options, io) {
    const referencePath = options.required('reference');
    const currentPath = options.required('current');
    if (options.string('dataset-share') !== undefined && options.string('fdr') !== undefined)
      throw new UsageError('--dataset-share and --fdr are alternatives; give one');
    const share = options.number('dataset-share', { min: 0, max: 1 });
    const fdr = options.number('fdr', { min: 0, max: 1, exclusiveMin: true });
    const tests = options.pairs('stattest', { bareValue: true });
    const thresholds = options.pairs('threshold', { bareValue: true });

    const reference = readCsv(referencePath, '--reference');
    const names = options.list('columns') ?? reference.columns.map((c) => c.name);
    for (const name of names)
      if (!hasColumn(reference, name))
        throw new UsageError(`${referencePath} has no column "${name}" named by --columns (columns: ${columnNames(reference)})`);
    for (const key of [...tests.keys(), ...thresholds.keys()]) {
      if (key !== null && !names.includes(key))
        throw new UsageError(`--stattest/--threshold name column "${key}", which is not compared (compared: ${names.join(', ')})`);
    }
    const schema = Object.fromEntries(names.map((name) => [name, getColumn(reference, name).type]));
    const current = readCsv(currentPath, '--current', { schema, missing: (name) => `has no column "${name}", which the reference has` });

    const columnOptions: Record<string, ColumnDriftOptions> = {};
    for (const name of names) {
      const test = tests.get(name);
      const threshold = thresholds.get(name);
      if (test !== undefined || threshold !== undefined)
        columnOptions[name] = {
          test: test === undefined ? undefined : testName(test),
          threshold: threshold === undefined ? undefined : thresholdValue(threshold),
        };
    }
    const allTest = tests.get(null);
    const allThreshold = thresholds.get(null);
    const dataset: DatasetDriftRule = fdr === undefined ? { method: 'share', share: share ?? 0.5 } : { method: 'benjamini-hochberg', fdr };
    const report = userInput(null, () =>
      driftReport(columnInputs(names, reference, current), {
        columns: columnOptions,
        test: allTest === undefined ? undefined : testName(allTest),
        threshold: allThreshold === undefined ? undefined : thresholdValue(allThreshold),
        dataset,
      }),
    );

    if (options.flag('json')) {
      io.stdout(
        toJson({ reference: referencePath, current: currentPath, referenceRows: reference.nRows, currentRows: current.nRows, ...report }),
      );
      return;
    }
    io.stdout(
      `${referencePath} (${reference.nRows} rows) → ${currentPath} (${current.nRows} rows)\n\n${driftTable(report)}\n\n${verdict(report)}\n`,
    );
  },
};

function testName(raw: string): StatTestName {
  if (!(TESTS as string[]).includes(raw))
    throw new UsageError(`--stattest: unknown test ${JSON.stringify(raw)} (tests: ${TESTS.join(', ')})`);
  return raw as StatTestName;
}

function thresholdValue(raw: string): number {
  return parseNumber(raw, '--threshold', { min: 0 });
}

function columnInputs(names: readonly string[], reference: Table, current: Table): DriftColumnInput[] {
  return names.map((name): DriftColumnInput => {
    const r = getColumn(reference, name);
    const c = getColumn(current, name);
    if (r.type === 'numeric' && c.type === 'numeric') return { name, type: 'numeric', reference: r.values, current: c.values };
    if (r.type === 'categorical' && c.type === 'categorical') return { name, type: 'categorical', reference: r, current: c };
    // The current file is read with the reference's types, so this cannot happen.
    throw new Error(`column "${name}" is ${r.type} in the reference but ${c.type} in the current data`);
  });
}

function driftTable(report: DriftReport): string {
  const adjusted = report.dataset.method === 'benjamini-hochberg';
  return table(
    ['column', 'type', 'test', 'statistic', 'p-value', ...(adjusted ? ['adjusted p'] : []), 'threshold', 'drifted'],
    report.columns.map((c) => [
      c.name,
      c.type,
      c.test,
      formatValue(c.statistic),
      c.pValue === null ? '-' : formatValue(c.pValue),
      ...(adjusted ? [c.adjustedPValue === undefined ? '-' : formatValue(c.adjustedPValue)] : []),
      String(c.threshold),
      c.drifted ? 'yes' : 'no',
    ]),
  );
}

function verdict(report: DriftReport): string {
  const d = report.dataset;
  const counted = `${d.numberOfDriftedColumns} of ${d.numberOfColumns} columns drifted`;
  const rule =
    d.method === 'share'
      ? `${formatValue(100 * d.shareOfDriftedColumns, 3)}%; the dataset drifts at a share >= ${d.threshold}`
      : `Benjamini–Hochberg at a false discovery rate of ${d.threshold}; the dataset drifts when any column does`;
  return `dataset drift: ${d.drifted ? 'YES' : 'no'} — ${counted} (${rule})`;
}
