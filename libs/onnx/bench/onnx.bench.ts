// What serving an imported ONNX graph costs next to the same model served natively: a Flywheel
// model (logistic regression and gradient-boosted trees on 20 features) and its export, scored
// one row at a time (a Predict) and as a batch of 10 000 rows (a V2 infer or a holdout), in the
// same run. The ONNX side includes the trip to the runtime's process and back, which is what a
// served ONNX version pays.
import { performance } from 'node:perf_hooks';
import { formatNumber, median, repeat, table } from '@flywheel/test-kit';
import { type InputRow, type Table, fitModel, getColumn, loadModel, makeTable, numericColumn, categoricalColumn, Rng } from '@flywheel/ml';
import { exportModel, inspectOnnx, OnnxModel, OnnxRuntime } from '../src';

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000);
const SINGLE = Number(process.env.BENCH_SINGLE_ROWS ?? 2_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENCY = 64;
const FEATURES = Array.from({ length: 20 }, (_, j) => `x${j}`);

function syntheticTable(n: number, seed: number): Table {
  const rng = new Rng(seed);
  const columns = FEATURES.map(() => Float64Array.from({ length: n }, () => rng.normal()));
  const label = Array.from({ length: n }, (_, i) =>
    columns[0][i] - columns[1][i] + 0.5 * columns[2][i] + rng.normal() > 0 ? 'yes' : 'no',
  );
  return makeTable([...FEATURES.map((name, j) => numericColumn(name, columns[j])), categoricalColumn('y', label)]);
}

function rowsOf(table: Table, n: number): InputRow[] {
  const columns = FEATURES.map((f) => getColumn(table, f) as { values: Float64Array });
  return Array.from({ length: n }, (_, i) => Object.fromEntries(FEATURES.map((f, j) => [f, columns[j].values[i]])));
}

async function main(): Promise<void> {
  const training = syntheticTable(20_000, 1);
  const scored = syntheticTable(ROWS, 2);
  const rows = rowsOf(scored, SINGLE);
  const runtime = new OnnxRuntime();
  const lines: (string | number)[][] = [];
  try {
    for (const algo of ['logreg', 'gbdt'] as const) {
      const artifact = fitModel({
        table: training,
        label: 'y',
        algo,
        params: algo === 'gbdt' ? { max_iter: 100 } : {},
        features: FEATURES,
      });
      const native = loadModel(artifact);
      const onnx = await OnnxModel.load(runtime, inspectOnnx(exportModel(artifact)).bytes);

      const nativeBatch = await repeat(RUNS, async () => {
        const t = performance.now();
        native.predictTable(scored);
        return performance.now() - t;
      });
      const onnxBatch = await repeat(RUNS, async () => {
        const t = performance.now();
        await onnx.predictTable(scored);
        return performance.now() - t;
      });
      const nativeSingle = await repeat(RUNS, async () => {
        const t = performance.now();
        for (const row of rows) native.predictRow(row);
        return (performance.now() - t) / rows.length;
      });
      const onnxSingle = await repeat(RUNS, async () => {
        const t = performance.now();
        for (const row of rows) await onnx.predictRow(row);
        return (performance.now() - t) / rows.length;
      });
      // Requests arriving together (a loaded deployment): 64 at a time, as concurrent Predicts.
      const nativeConcurrent = await repeat(RUNS, async () => {
        const t = performance.now();
        for (let at = 0; at < rows.length; at += CONCURRENCY)
          await Promise.all(rows.slice(at, at + CONCURRENCY).map(async (row) => native.predictRow(row)));
        return (performance.now() - t) / rows.length;
      });
      const onnxConcurrent = await repeat(RUNS, async () => {
        const t = performance.now();
        for (let at = 0; at < rows.length; at += CONCURRENCY)
          await Promise.all(rows.slice(at, at + CONCURRENCY).map((row) => onnx.predictRow(row)));
        return (performance.now() - t) / rows.length;
      });
      await onnx.release();
      const concurrent = [median(nativeConcurrent), median(onnxConcurrent)];
      const batch = [median(nativeBatch), median(onnxBatch)];
      const single = [median(nativeSingle), median(onnxSingle)];
      lines.push([
        `${algo} batch of ${formatNumber(ROWS)}`,
        `${formatNumber(batch[0], 1)} ms`,
        `${formatNumber(batch[1], 1)} ms`,
        `${formatNumber(batch[1] / batch[0], 2)}×`,
      ]);
      lines.push([
        `${algo} one row`,
        `${formatNumber(single[0] * 1000, 1)} µs`,
        `${formatNumber(single[1] * 1000, 1)} µs`,
        `${formatNumber(single[1] / single[0], 1)}×`,
      ]);
      lines.push([
        `${algo} one row, ${CONCURRENCY} at once`,
        `${formatNumber(concurrent[0] * 1000, 1)} µs`,
        `${formatNumber(concurrent[1] * 1000, 1)} µs`,
        `${formatNumber(concurrent[1] / concurrent[0], 1)}×`,
      ]);
    }
  } finally {
    await runtime.close();
  }
  process.stdout.write(`\nmedians of ${RUNS} runs; baseline: the native model in the same run\n`);
  process.stdout.write(`${table(['scoring', 'native', 'ONNX (runtime process)', 'ONNX / native'], lines)}\n`);
}

void main();
