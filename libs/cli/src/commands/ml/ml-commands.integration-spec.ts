// Runs the real `flywheel` bin on generated CSV files and checks what it prints and writes
// against the library computing the same things in-process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BatchPrediction,
  type DriftColumnInput,
  Rng,
  type Table,
  cellValue,
  driftReport,
  evaluateModel,
  formatCsv,
  getColumn,
  loadModel,
  parseCsv,
} from '@flywheel/ml';
import { formatValue } from '../../output';
import { type FlywheelRun, runFlywheelSync } from '@flywheel/testing';

const dir = mkdtempSync(join(tmpdir(), 'flywheel-cli-'));
const at = (name: string): string => join(dir, name);

type Run = FlywheelRun;
const flywheel = (...args: string[]): Run => runFlywheelSync(args);

function json(run: Run): Record<string, unknown> {
  expect(run).toMatchObject({ code: 0 });
  return JSON.parse(run.stdout);
}

/** Rows of a churn-like problem: two numeric features (one with gaps), a colour, a yes/no label and a numeric target. */
function rows(n: number, seed: number): (string | number | null)[][] {
  const rng = new Rng(seed);
  const colours = ['red', 'green', 'blue'];
  return Array.from({ length: n }, () => {
    const x1 = rng.normal();
    const x2 = rng.next() < 0.1 ? null : 3 * rng.normal() + 1;
    const colour = rng.next() < 0.05 ? null : colours[rng.nextInt(3)];
    const z = 1.5 * x1 + (colour === 'red' ? 1 : -0.5) + 0.3 * (x2 ?? 0);
    const churn = rng.next() < 1 / (1 + Math.exp(-z)) ? 'yes' : 'no';
    const spend = 2 * x1 + (colour === 'green' ? 3 : 0) + 0.5 * rng.normal();
    return [x1, x2, colour, churn, spend];
  });
}
const HEADER = ['x1', 'x2', 'colour', 'churn', 'spend'];
const FEATURES = 'x1,x2,colour';

function writeCsv(name: string, data: (string | number | null)[][], header = HEADER): string {
  writeFileSync(at(name), formatCsv(header, data));
  return at(name);
}

const train = writeCsv('train.csv', rows(600, 1));
const test = writeCsv('test.csv', rows(300, 2));
const testTable = parseCsv(readFileSync(test));

const fits = {
  logreg: ['--label', 'churn', '--features', FEATURES],
  linear: ['--label', 'spend', '--features', FEATURES],
  gbdt: ['--label', 'churn', '--features', FEATURES, '--param', 'max_iter=20', '--param', 'learning_rate=0.2'],
  random_forest: ['--label', 'spend', '--features', FEATURES, '--param', 'n_estimators=20', '--param', 'min_samples_leaf=3'],
} as const;
type Algo = keyof typeof fits;
const fitted = {} as Record<Algo, Run>;

beforeAll(() => {
  for (const algo of Object.keys(fits) as Algo[])
    fitted[algo] = flywheel(
      'ml',
      'fit',
      '--data',
      train,
      '--algo',
      algo,
      ...fits[algo],
      '--seed',
      '3',
      '--out',
      at(`${algo}.json`),
      '--json',
    );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = (algo: Algo) => loadModel(readFileSync(at(`${algo}.json`), 'utf8'));

describe('flywheel ml fit', () => {
  it.each(Object.keys(fits) as Algo[])('%s: writes a model that loads, and reports its metrics as JSON', (algo) => {
    const out = json(fitted[algo]);
    const m = model(algo);
    expect(m.artifact.algorithm).toBe(algo);
    expect(m.artifact.seed).toBe(3);
    expect(m.signature.features.map((f) => f.name)).toEqual(FEATURES.split(','));
    expect(out).toMatchObject({
      model: at(`${algo}.json`),
      algorithm: algo,
      task: m.task,
      label: m.artifact.label.name,
      metrics: m.artifact.metrics,
    });
    expect(out.validationRows).toBe(m.artifact.training.validationRows);
    expect(fitted[algo].stderr).toMatch(new RegExp(`^fit: ${algo} on .*model written to .*${algo}\\.json$`, 'm'));
  });

  it('prints a progress line per tree of a forest on stderr', () => {
    const trees = fitted.random_forest.stderr.split('\n').filter((l) => /^\s+tree \d+\/20\s/.test(l));
    expect(trees).toHaveLength(20);
    expect(fitted.random_forest.stderr).toMatch(/: 20 trees in /);
  });

  it('prints a progress line per boosting round on stderr', () => {
    const rounds = fitted.gbdt.stderr.split('\n').filter((l) => /^\s+round \d+\/20\s/.test(l));
    expect(rounds).toHaveLength(model('gbdt').artifact.training.iterations);
    expect(fitted.gbdt.stdout).not.toContain('round');
  });

  it('prints the validation metrics as a table', () => {
    const run = flywheel('ml', 'fit', '--data', train, '--algo', 'linear', ...fits.linear, '--seed', '3', '--out', at('linear-table.json'));
    expect(run.code).toBe(0);
    const { validation, train: trained } = model('linear').artifact.metrics;
    for (const [name, value] of Object.entries(validation ?? {})) {
      expect(run.stdout).toMatch(new RegExp(`^${name}\\s+${escape(formatValue(value))}\\s+${escape(formatValue(trained[name]))}$`, 'm'));
    }
  });
});

describe('flywheel ml fit: default features', () => {
  // The churn rows with an id per row and the day each was recorded in front.
  const withIds = writeCsv(
    'with-ids.csv',
    rows(300, 5).map((r, i) => [`cust-${i}`, `2025-03-${String(1 + (i % 28)).padStart(2, '0')}`, ...r]),
    ['customer_id', 'day', ...HEADER],
  );
  const fit = (...extra: string[]) =>
    flywheel('ml', 'fit', '--data', withIds, '--label', 'churn', '--algo', 'logreg', '--out', at('ids.json'), '--json', ...extra);

  it('leaves identifiers and timestamps out, naming each on stderr, unless --include names them', () => {
    const run = fit();
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'fit: left out of the features: customer_id (text unique per row, like an identifier), day (timestamps); --include or --features trains on them\n',
    );
    expect(loadModel(readFileSync(at('ids.json'), 'utf8')).signature.features.map((f) => f.name)).toEqual(['x1', 'x2', 'colour', 'spend']);

    const included = fit('--include', 'day');
    expect(included.code).toBe(0);
    expect(included.stderr).toContain('fit: left out of the features: customer_id (text unique per row, like an identifier);');
    expect(loadModel(readFileSync(at('ids.json'), 'utf8')).signature.features.map((f) => f.name)).toEqual([
      'day',
      'x1',
      'x2',
      'colour',
      'spend',
    ]);
    const named = fit('--features', 'customer_id,x1');
    expect(named.stderr).not.toContain('left out');
    expect(loadModel(readFileSync(at('ids.json'), 'utf8')).signature.features.map((f) => f.name)).toEqual(['customer_id', 'x1']);

    for (const [args, message] of [
      [['--include', 'nope'], /has no column "nope" named by --include/],
      [['--include', 'day', '--features', 'x1'], /--include adds to the default features; with --features, name them all there/],
    ] as const) {
      const bad = fit(...args);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(message);
    }
  });
});

describe('flywheel ml eval', () => {
  it.each(['logreg', 'gbdt', 'linear', 'random_forest'] as Algo[])('%s: reports the metrics evaluateModel computes', (algo) => {
    const expected = evaluateModel(model(algo), testTable);
    const out = json(flywheel('ml', 'eval', '--model', at(`${algo}.json`), '--data', test, '--json'));
    expect(out).toMatchObject({ rows: testTable.nRows, metrics: expected });
    const table = flywheel('ml', 'eval', '--model', at(`${algo}.json`), '--data', test);
    expect(table.code).toBe(0);
    for (const [name, value] of Object.entries(expected))
      expect(table.stdout).toMatch(new RegExp(`^${name}\\s+${escape(formatValue(value))}$`, 'm'));
  });
});

describe('flywheel ml predict', () => {
  it.each(['logreg', 'gbdt', 'linear', 'random_forest'] as Algo[])('%s: writes the input rows with the model predictions', (algo) => {
    const m = model(algo);
    const outPath = at(`${algo}-predictions.csv`);
    const out = json(flywheel('ml', 'predict', '--model', at(`${algo}.json`), '--data', test, '--out', outPath, '--json'));
    const written = parseCsv(readFileSync(outPath));
    const added = m.task === 'regression' ? ['prediction'] : ['prediction', 'probability'];
    expect(written.columns.map((c) => c.name)).toEqual([...HEADER, ...added]);
    expect(out).toMatchObject({ rows: testTable.nRows, columns: [...HEADER, ...added] });
    expect(written.nRows).toBe(testTable.nRows);
    for (const name of HEADER) expect(values(written, name)).toEqual(values(testTable, name));
    const expected: BatchPrediction = m.predictTable(testTable);
    if (expected.task === 'regression') {
      expect(values(written, 'prediction')).toEqual(Array.from(expected.values));
    } else {
      expect(values(written, 'prediction')).toEqual(Array.from(expected.classIndex, (k) => expected.classes[k]));
      // Binary models report the probability of the second (positive) class.
      expect(values(written, 'probability')).toEqual(Array.from(expected.probabilities[1]));
    }
  });
});

describe('flywheel ml --threads', () => {
  it('scores and evaluates alike on any number of threads, and refuses a count that is not one', () => {
    const on = (threads: string) => {
      const outPath = at(`gbdt-threads-${threads}.csv`);
      expect(flywheel('ml', 'predict', '--model', at('gbdt.json'), '--data', test, '--out', outPath, '--threads', threads).code).toBe(0);
      const evaluated = json(flywheel('ml', 'eval', '--model', at('gbdt.json'), '--data', test, '--threads', threads, '--json'));
      return { predictions: readFileSync(outPath, 'utf8'), metrics: evaluated.metrics };
    };
    expect(on('2')).toEqual(on('1'));
    for (const bad of ['0', '1.5', 'all']) {
      const run = flywheel('ml', 'predict', '--model', at('gbdt.json'), '--data', test, '--out', at('never.csv'), '--threads', bad);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--threads');
    }
  });
});

describe('flywheel ml drift', () => {
  const base = rows(1500, 4);
  // The same rows with x1 moved by one standard deviation and most colours turned blue.
  const shifted = base.map((r, i) => [(r[0] as number) + 1, r[1], i % 5 < 3 ? 'blue' : r[2], r[3], r[4]]);
  const reference = writeCsv('reference.csv', base);
  const same = writeCsv('same.csv', base);
  const current = writeCsv('current.csv', shifted);
  const drifted = (report: Record<string, unknown>): string[] =>
    (report.columns as { name: string; drifted: boolean }[]).filter((c) => c.drifted).map((c) => c.name);

  it('finds no drift between identical files', () => {
    const report = json(flywheel('ml', 'drift', '--reference', reference, '--current', same, '--json'));
    expect(drifted(report)).toEqual([]);
    expect(report.dataset).toMatchObject({ drifted: false, numberOfColumns: HEADER.length });
  });

  it('finds drift in exactly the shifted columns, with the statistics driftReport computes', () => {
    const report = json(flywheel('ml', 'drift', '--reference', reference, '--current', current, '--json'));
    expect(drifted(report)).toEqual(['x1', 'colour']);
    const expected = driftReport(driftInputs(parseCsv(readFileSync(reference)), parseCsv(readFileSync(current))));
    expect(report).toMatchObject({
      referenceRows: base.length,
      currentRows: base.length,
      columns: expected.columns,
      dataset: expected.dataset,
    });
  });

  it('uses hypothesis tests on small files, with per-column overrides and Benjamini–Hochberg', () => {
    const small = writeCsv('small-reference.csv', base.slice(0, 400));
    const smallShifted = writeCsv('small-current.csv', shifted.slice(0, 400));
    const report = json(
      flywheel(
        'ml',
        'drift',
        '--reference',
        small,
        '--current',
        smallShifted,
        '--columns',
        'x1,x2,colour',
        '--stattest',
        'x2=psi',
        '--threshold',
        'x2=0.2',
        '--fdr',
        '0.01',
        '--json',
      ),
    );
    expect((report.columns as { test: string }[]).map((c) => c.test)).toEqual(['ks', 'psi', 'chisquare']);
    expect(drifted(report)).toEqual(['x1', 'colour']);
    expect(report.dataset).toMatchObject({ method: 'benjamini-hochberg', threshold: 0.01, drifted: true });
    const table = flywheel('ml', 'drift', '--reference', small, '--current', smallShifted, '--columns', 'x1,colour');
    expect(table.stdout).toMatch(/^x1\s+numeric\s+ks\s+\S+\s+\S+\s+0\.05\s+yes$/m);
    expect(table.stdout).toMatch(/^dataset drift: YES — 2 of 2 columns drifted/m);
  });
});

describe('bad input', () => {
  const broken = writeCsv('broken.csv', [
    [1, 2, 'red', 'yes', 3],
    ['oops', 2, 'red', 'no', 1],
  ]);
  const ragged = at('ragged.csv');
  writeFileSync(ragged, 'x1,x2\n1,2\n3\n');
  const unlabelled = writeCsv(
    'unlabelled.csv',
    rows(5, 6).map((r) => r.slice(0, 3)),
    HEADER.slice(0, 3),
  );
  const noColour = writeCsv(
    'no-colour.csv',
    rows(5, 7).map((r) => r.slice(0, 2)),
    HEADER.slice(0, 2),
  );
  const notAModel = at('not-a-model.json');
  writeFileSync(notAModel, '{"formatVersion": 1');

  const cases: [string, string[], RegExp][] = [
    ['a missing flag', ['ml', 'fit', '--data', 'x.csv', '--label', 'y', '--algo', 'gbdt'], /^flywheel: ml fit: missing --out <file>$/],
    [
      'an unknown algorithm',
      ['ml', 'fit', '--data', 'x.csv', '--label', 'y', '--algo', 'tree', '--out', 'm.json'],
      /--algo must be one of logreg, linear, gbdt, random_forest, got "tree"$/,
    ],
    [
      'an unknown option',
      ['ml', 'eval', '--model', 'm.json', '--data', 'x.csv', '--verbose'],
      /^flywheel: ml eval: unknown option --verbose$/,
    ],
    ['an unknown command', ['ml', 'train'], /^flywheel: ml: unknown command "train"/],
    [
      'an unreadable file',
      ['ml', 'fit', '--data', at('absent.csv'), '--label', 'y', '--algo', 'gbdt', '--out', at('m.json')],
      /cannot read --data .*absent\.csv: no such file or directory$/,
    ],
    [
      'a ragged CSV',
      ['ml', 'drift', '--reference', ragged, '--current', ragged],
      /ragged\.csv: row 2 \(line 3\): 1 fields, but the header has 2$/,
    ],
    [
      'a bad value in a numeric feature',
      ['ml', 'predict', '--model', at('gbdt.json'), '--data', broken, '--out', at('p.csv')],
      /broken\.csv: row 2 \(line 3\), column "x1": "oops" is not a number$/,
    ],
    [
      'a label not in the data',
      ['ml', 'fit', '--data', train, '--label', 'nope', '--algo', 'logreg', '--out', at('m.json')],
      /has no column "nope" for --label \(columns: x1, x2, colour, churn, spend\)$/,
    ],
    [
      'a bad parameter',
      ['ml', 'fit', '--data', train, '--label', 'churn', '--algo', 'logreg', '--param', 'C=-1', '--out', at('m.json')],
      /parameter "C": expected a number > 0, got "-1"$/,
    ],
    [
      'data without the label',
      ['ml', 'eval', '--model', at('logreg.json'), '--data', unlabelled],
      /unlabelled\.csv has no column "churn", the model's label$/,
    ],
    [
      'data without a feature',
      ['ml', 'predict', '--model', at('logreg.json'), '--data', noColour, '--out', at('p.csv')],
      /no-colour\.csv has no column "colour", a feature of the model$/,
    ],
    ['a broken model file', ['ml', 'eval', '--model', notAModel, '--data', test], /not-a-model\.json: model artifact is not valid JSON/],
    ['an unknown test', ['ml', 'drift', '--reference', test, '--current', test, '--stattest', 'x1=t'], /--stattest: unknown test "t"/],
  ];

  it.each(cases)('%s: one line on stderr and exit code 2', (_what, args, message) => {
    const run = flywheel(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.endsWith('\n')).toBe(true);
    const lines = run.stderr.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^flywheel: /);
    expect(lines[0]).toMatch(message);
  });
});

function values(table: Table, name: string): (number | string | null)[] {
  const c = getColumn(table, name);
  return Array.from({ length: table.nRows }, (_, i) => cellValue(c, i));
}

function driftInputs(reference: Table, current: Table): DriftColumnInput[] {
  return reference.columns.map((r): DriftColumnInput => {
    const c = getColumn(current, r.name);
    if (r.type === 'numeric' && c.type === 'numeric') return { name: r.name, type: 'numeric', reference: r.values, current: c.values };
    if (r.type === 'categorical' && c.type === 'categorical') return { name: r.name, type: 'categorical', reference: r, current: c };
    throw new Error(`column ${r.name} changed type`);
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
