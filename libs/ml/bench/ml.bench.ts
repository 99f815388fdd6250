// Fit time and prediction throughput of the three algorithms on 100 000 × 20 synthetic rows,
// and the time of a drift report on 1 000 000 × 20, next to scikit-learn/scipy doing the same
// work on the same data in the same run (when Debian's python3-sklearn is installed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatNumber, median, repeat, table } from '@flywheel/test-kit';
import {
  type Algorithm as AnyAlgorithm,
  type DriftColumnInput,
  type InputRow,
  type LoadedModel,
  type Table,
  Preprocessor,
  cellValue,
  driftReport,
  fitGbdt,
  fitLinearRegression,
  fitLogisticRegression,
  fitModel,
  fitPreprocessor,
  getColumn,
  loadModel,
  parseCsv,
} from '../src';
import { DRIFT_CATEGORIES, FEATURES, writeDriftData, writeTrainingCsv } from './synthetic-data';

/** The algorithms sklearn_reference.py times: it has no random forest yet. */
type Algorithm = Exclude<AnyAlgorithm, 'random_forest'>;

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const DRIFT_ROWS = Number(process.env.BENCH_DRIFT_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Boosting is the slowest part; fewer runs keep the whole benchmark within a few minutes. */
const GBDT_RUNS = Number(process.env.BENCH_GBDT_RUNS ?? 3);
/** Rows predicted one call at a time; scikit-learn's per-call overhead makes more take long. */
const SINGLE_ROWS_OURS = Math.min(ROWS, 100_000);
const SINGLE_ROWS_THEIRS = 1000;
const PYTHON = '/usr/bin/python3';
/** Threads for our boosted trees' histograms and batch scoring: every core, as scikit-learn's OpenMP uses. */
const THREADS = availableParallelism();

// Fixed so both sides do the same work: no early stopping, the same iteration caps.
const SETTINGS = { logreg_max_iter: 100, logreg_tol: 1e-10, gbdt_max_iter: 100 };
const PARAMS: Record<Algorithm, Record<string, string | number | boolean>> = {
  logreg: { holdout: 0, C: 1, max_iter: SETTINGS.logreg_max_iter, tol: SETTINGS.logreg_tol },
  linear: { holdout: 0, alpha: 0 },
  gbdt: {
    holdout: 0,
    learning_rate: 0.1,
    max_iter: SETTINGS.gbdt_max_iter,
    max_leaf_nodes: 31,
    min_samples_leaf: 20,
    l2_regularization: 0,
    max_bins: 255,
    early_stopping: false,
  },
};
const LABEL: Record<Algorithm, string> = { logreg: 'y', linear: 'target', gbdt: 'y' };
const ALGOS: Algorithm[] = ['logreg', 'linear', 'gbdt'];

interface Reference {
  versions: Record<string, string>;
  fit: Record<Algorithm, number[]>;
  /** Logistic regression's coefficients on standardised inputs, then its intercept. */
  logregCoefficients: number[];
  iterations: Record<Algorithm, number>;
  batch: Record<Algorithm, number[]>;
  single: Record<Algorithm, { rows: number; seconds: number[] }>;
  drift: number[];
  driftScores: number[];
}

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const seconds = (start: number): number => (performance.now() - start) / 1000;

function pythonAvailable(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn, scipy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} is not installed`;
  return probe.status === 0 ? null : `${PYTHON} lacks scikit-learn or scipy (apt-get install python3-sklearn python3-scipy)`;
}

function runReference(dir: string): Reference {
  const args = [
    join(__dirname, 'sklearn_reference.py'),
    '--data',
    dir,
    '--rows-drift',
    String(DRIFT_ROWS),
    '--runs',
    String(RUNS),
    '--gbdt-runs',
    String(GBDT_RUNS),
    '--single-rows',
    String(SINGLE_ROWS_THEIRS),
    '--settings',
    JSON.stringify(SETTINGS),
  ];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`sklearn_reference.py failed with exit code ${r.status}`);
  return JSON.parse(r.stdout) as Reference;
}

/** What one estimator fit leaves to compare: the optimiser's iterations and, for logistic regression, its coefficients. */
interface EstimatorFit {
  readonly iterations?: number;
  readonly coefficients?: number[];
}

// scikit-learn 1.2 leaves scipy's L-BFGS-B at its default ftol (factr 1e7 × machine epsilon):
// with tol=1e-10 on its summed objective, that is what stops its fit.
const SCIPY_LBFGS_FTOL = 2.220446049250313e-9;

/**
 * The estimator's fit alone, as scikit-learn's Pipeline(StandardScaler, model).fit /
 * HistGradientBoostingClassifier.fit: the same library calls fitModel makes, without the
 * hold-out split, the training-data profile and the training metrics it adds. Logistic
 * regression stops as scikit-learn's does: the same gradient tolerance on the same (summed)
 * objective, which ours divides by C·n, and scipy's relative-decrease test.
 */
function fitEstimator(algo: Algorithm, data: Table, features: readonly string[]): EstimatorFit {
  const numeric = (name: string): Float64Array => (getColumn(data, name) as { values: Float64Array }).values;
  if (algo === 'gbdt') {
    const y = numeric(LABEL.gbdt);
    const gbdt = PARAMS.gbdt;
    fitGbdt(
      features.map((f) => numeric(f)),
      y,
      {
        loss: 'log_loss',
        learningRate: gbdt.learning_rate as number,
        maxIter: gbdt.max_iter as number,
        maxLeafNodes: gbdt.max_leaf_nodes as number,
        minSamplesLeaf: gbdt.min_samples_leaf as number,
        l2Regularization: gbdt.l2_regularization as number,
        maxBins: gbdt.max_bins as number,
        earlyStopping: false,
        seed: 1,
        threads: THREADS,
      },
    );
    return { iterations: SETTINGS.gbdt_max_iter };
  }
  const x = new Preprocessor(fitPreprocessor(data, features)).transform(data);
  if (algo === 'linear') {
    fitLinearRegression(x, numeric(LABEL.linear));
    return {};
  }
  const C = PARAMS.logreg.C as number;
  const y = Int32Array.from(numeric(LABEL.logreg));
  const fit = fitLogisticRegression(x, y, 2, {
    C,
    maxIterations: SETTINGS.logreg_max_iter,
    tolerance: SETTINGS.logreg_tol / (C * y.length),
    functionTolerance: SCIPY_LBFGS_FTOL,
  });
  return { iterations: fit.optimizer.iterations, coefficients: [...fit.model.coef[0], ...fit.model.intercept] };
}

/** The targets in one line: fits ≤ 2× scikit-learn's time, batch prediction ≥ 1× its rows per second. */
function summaryLine(
  ours: Record<Algorithm, { estimator: number[]; batch: number[] }>,
  theirs: Reference,
  rows: number,
  coefficientGap: number,
): string {
  const fits = ALGOS.map((a) => median(ours[a].estimator) / median(theirs.fit[a]));
  const batches = ALGOS.map((a) => median(theirs.batch[a]) / median(ours[a].batch));
  const worstFit = Math.max(...fits);
  const worstBatch = Math.min(...batches);
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  return (
    `summary: fit ≤ 2× scikit-learn's time: worst ${formatNumber(worstFit, 2)} (${met(worstFit <= 2)}); ` +
    `batch prediction ≥ 1× its rows/s: worst ${formatNumber(worstBatch, 2)} (${met(worstBatch >= 1)}); ` +
    `logistic coefficients within 1e-4: ${coefficientGap.toExponential(1)} (${met(coefficientGap <= 1e-4)}) — ${formatNumber(rows)} × ${FEATURES}`
  );
}

function rowsOf(data: ReturnType<typeof parseCsv>, n: number): InputRow[] {
  const columns = data.columns.filter((c) => /^f\d+$/.test(c.name));
  return Array.from({ length: n }, (_, i) => Object.fromEntries(columns.map((c) => [c.name, cellValue(c, i)])));
}

async function main(): Promise<void> {
  const missing = pythonAvailable();
  const dir = mkdtempSync(join(tmpdir(), 'flywheel-ml-bench-'));
  try {
    log(`data: ${formatNumber(ROWS)} × ${FEATURES} training rows, ${formatNumber(DRIFT_ROWS)} × 20 drift rows in ${dir}`);
    const csv = writeTrainingCsv(dir, ROWS, 1);
    const drift = writeDriftData(dir, DRIFT_ROWS, 2);
    const data = parseCsv(readFileSync(csv));
    const features = Array.from({ length: FEATURES }, (_, j) => `f${j}`);
    const rows = rowsOf(data, SINGLE_ROWS_OURS);

    const ours = {} as Record<Algorithm, { estimator: number[]; fit: number[]; iterations: number; batch: number[]; single: number[] }>;
    let logregCoefficients: number[] = [];
    for (const algo of ALGOS) {
      const runs = algo === 'gbdt' ? GBDT_RUNS : RUNS;
      log(`fit ${algo} (${runs} runs)`);
      let model: LoadedModel | null = null;
      const fit = await repeat(
        runs,
        async () => {
          const start = performance.now();
          const artifact = fitModel({ table: data, label: LABEL[algo], algo, params: PARAMS[algo], features, seed: 1, threads: THREADS });
          const s = seconds(start);
          model = loadModel(artifact);
          return s;
        },
        0,
      );
      log(`fit the ${algo} estimator alone (${runs} runs)`);
      let fitted: EstimatorFit = {};
      const estimator = await repeat(
        runs,
        async () => {
          const start = performance.now();
          fitted = fitEstimator(algo, data, features);
          return seconds(start);
        },
        0,
      );
      const m = model as unknown as LoadedModel;
      if (fitted.coefficients) logregCoefficients = fitted.coefficients;
      log(`predict ${algo}: batch, then ${formatNumber(rows.length)} single rows`);
      const batch = await repeat(RUNS, async () => {
        const start = performance.now();
        m.predictTable(data, { threads: THREADS });
        return seconds(start);
      });
      const single = await repeat(RUNS, async () => {
        const start = performance.now();
        for (const row of rows) m.predictRow(row);
        return seconds(start);
      });
      ours[algo] = { estimator, fit, iterations: fitted.iterations ?? 0, batch, single };
    }

    const columns: DriftColumnInput[] = [
      ...drift.numeric.map((c, j): DriftColumnInput => ({ name: `n${j}`, type: 'numeric', ...c })),
      ...drift.categorical.map((c, j): DriftColumnInput => {
        const dictionary = Array.from({ length: DRIFT_CATEGORIES }, (_, k) => `c${k}`);
        return {
          name: `c${j}`,
          type: 'categorical',
          reference: { codes: c.reference, dictionary },
          current: { codes: c.current, dictionary },
        };
      }),
    ];
    log(`drift report (${RUNS} runs)`);
    let scores: number[] = [];
    const driftSeconds = await repeat(
      RUNS,
      async () => {
        const start = performance.now();
        const report = driftReport(columns);
        const s = seconds(start);
        scores = report.columns.map((c) => c.statistic);
        return s;
      },
      0,
    );

    let theirs: Reference | null = null;
    if (missing) log(`no reference run: ${missing}; printing ours only`);
    else {
      log('reference: scikit-learn/scipy on the same files');
      theirs = runReference(dir);
      const gap = Math.max(...scores.map((s, k) => Math.abs(s - (theirs as Reference).driftScores[k]) / Math.max(Math.abs(s), 1e-12)));
      log(`drift statistics agree with scipy to a relative ${gap.toExponential(1)}`);
    }
    const coefficientGap = theirs
      ? Math.max(...logregCoefficients.map((c, k) => Math.abs(c - (theirs as Reference).logregCoefficients[k])))
      : undefined;

    const ratio = (a: number, b: number | undefined): string => (b === undefined ? '-' : formatNumber(a / b, 2));
    const t = (s: number): string => formatNumber(s, s < 1 ? 3 : 2);
    const fitRows = ALGOS.flatMap((algo) => {
      const other = theirs ? median(theirs.fit[algo]) : undefined;
      const iterations = `${ours[algo].iterations || '-'} / ${theirs ? theirs.iterations[algo] || '-' : '-'}`;
      const runs = algo === 'gbdt' ? GBDT_RUNS : RUNS;
      const row = (name: string, mine: number): (string | number)[] => [
        name,
        runs,
        iterations,
        t(mine),
        other === undefined ? '-' : t(other),
        ratio(mine, other),
      ];
      return [row(`fit ${algo}`, median(ours[algo].estimator)), row(`  fitModel ${algo}`, median(ours[algo].fit))];
    });
    const driftMine = median(driftSeconds);
    const driftOther = theirs ? median(theirs.drift) : undefined;
    fitRows.push([
      `drift report, ${formatNumber(DRIFT_ROWS)} × 20`,
      RUNS,
      '-',
      t(driftMine),
      driftOther === undefined ? '-' : t(driftOther),
      ratio(driftMine, driftOther),
    ]);

    const rate = (n: number, s: number[]): number => n / median(s);
    const predictRows = ALGOS.flatMap((algo) => {
      const batchOurs = rate(ROWS, ours[algo].batch);
      const batchTheirs = theirs ? rate(ROWS, theirs.batch[algo]) : undefined;
      const singleOurs = rate(rows.length, ours[algo].single);
      const singleTheirs = theirs ? rate(theirs.single[algo].rows, theirs.single[algo].seconds) : undefined;
      return [
        [
          `${algo} batch (${formatNumber(ROWS)} rows per call)`,
          formatNumber(batchOurs),
          batchTheirs === undefined ? '-' : formatNumber(batchTheirs),
          ratio(batchOurs, batchTheirs),
        ],
        [
          `${algo} single row`,
          formatNumber(singleOurs),
          singleTheirs === undefined ? '-' : formatNumber(singleTheirs),
          ratio(singleOurs, singleTheirs),
        ],
      ];
    });

    const versions = theirs
      ? `scikit-learn ${theirs.versions.sklearn}, scipy ${theirs.versions.scipy}, numpy ${theirs.versions.numpy}`
      : 'no reference';
    process.stdout.write(
      `\nours: @flywheel/ml on Node ${process.version}; theirs: ${versions}\n` +
        `${formatNumber(ROWS)} × ${FEATURES} rows; logreg lbfgs C=1 max_iter=${SETTINGS.logreg_max_iter} tol=${SETTINGS.logreg_tol}, both stopping as scipy's L-BFGS-B (gtol on the summed objective, ftol ${SCIPY_LBFGS_FTOL}); linear least squares; gbdt ${SETTINGS.gbdt_max_iter} rounds, 31 leaves, 255 bins, no early stopping, histograms and batch scoring on ${THREADS} threads\n` +
        `theirs = Pipeline(StandardScaler, model).fit / HistGradientBoostingClassifier.fit; ours: "fit" = the same work (standardising and training), "fitModel" = what a training run does (adds the training-data profile and training metrics)\n` +
        (coefficientGap === undefined
          ? '\n'
          : `logistic regression coefficients (standardised inputs) and intercept agree with scikit-learn's to ${coefficientGap.toExponential(1)} (largest absolute difference)\n\n`) +
        `${table(['seconds (median of runs)', 'runs', 'iterations ours / theirs', 'ours', 'theirs', 'ours / theirs'], fitRows)}\n\n` +
        `${table([`rows per second (median of ${RUNS})`, 'ours', 'theirs', 'ours / theirs'], predictRows)}\n` +
        `single row: ours over ${formatNumber(rows.length)} rows, theirs over ${formatNumber(SINGLE_ROWS_THEIRS)} rows (predict_proba on a 1-row array)\n` +
        (theirs ? `\n${summaryLine(ours, theirs, ROWS, coefficientGap as number)}\n` : ''),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
