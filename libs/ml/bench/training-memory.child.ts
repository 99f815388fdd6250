// One fit of training-memory.bench.ts: builds the table, fits, prints its figures as JSON.
// Run with --trace-gc, so every collection prints the heap it found.
import { performance } from 'node:perf_hooks';
import { type Algorithm, fitModel, makeTable, numericColumn } from '../src';
import { FEATURES, syntheticTrainingColumns } from './synthetic-data';

const MIB = 1024 * 1024;
const algo = process.argv[2] as Exclude<Algorithm, 'random_forest'>;
const rows = Number(process.argv[3]);
/** The algorithms training-memory.bench.ts measures; a random forest grown to purity on a million rows is past what a model may hold. */
const PARAMS: Record<Exclude<Algorithm, 'random_forest'>, Record<string, number | boolean>> = {
  logreg: { holdout: 0.2 },
  linear: { holdout: 0.2 },
  gbdt: { holdout: 0.2, max_iter: 100, early_stopping: false },
};

const columns = syntheticTrainingColumns(rows, 1);
const data = makeTable(columns.map((c) => numericColumn(c.name, c.values)));
const features = Array.from({ length: FEATURES }, (_, j) => `f${j}`);
const start = performance.now();
fitModel({ table: data, label: algo === 'linear' ? 'target' : 'y', algo, params: PARAMS[algo], features, seed: 1 });
const seconds = (performance.now() - start) / 1000;
// One line among V8's --trace-gc lines, from which the parent reads the peak heap.
process.stdout.write(
  `\nRESULT ${JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, tableMb: (columns.length * rows * 8) / MIB })}\n`,
);
