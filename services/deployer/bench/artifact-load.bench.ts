// Loading a large model artifact: what the event loop paid when the deployer parsed on it, what
// it pays now that a worker thread parses and checks (the longest event-loop delay meanwhile, and
// the rebuild of the model around the arrays that come back), and single-row prediction on the
// rebuilt model next to the model loaded whole (the same code: the rebuild must cost nothing).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CompactModel, compactModelFromBytes, fitModel, loadModel, transferablesOf } from '@flywheel/ml';
import { formatNumber, median, repeat, table } from '@flywheel/test-kit';
import { WorkerArtifactParser } from '../src/serving/artifact-parser';
import { fraudTable, testConfig } from '../src/testing/fakes';

const TREES = Number(process.env.BENCH_TREES ?? 2_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROWS = 20_000;

const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (start: number) => performance.now() - start;

async function main(): Promise<void> {
  log(`fitting a gbdt of 255-leaf trees, repeated to ${formatNumber(TREES)} trees`);
  const fitted = fitModel({
    table: fraudTable({}),
    label: 'fraud',
    algo: 'gbdt',
    params: { task: 'classification', maxIter: 20, maxLeafNodes: 255, minSamplesLeaf: 1 },
    seed: 7,
    now: new Date('2026-01-01T00:00:00Z'),
  });
  const model = fitted.model;
  if (model.kind !== 'gbdt') throw new Error('a gbdt was fitted');
  const trees = Array.from({ length: TREES }, (_, t) => model.trees[t % model.trees.length]);
  const bytes = Buffer.from(JSON.stringify({ ...fitted, model: { ...model, trees } }));
  const nodes = trees.reduce((n, t) => n + t.feature.length, 0);
  log(`artifact: ${formatNumber(bytes.length / 1e6, 1)} MB, ${formatNumber(nodes)} nodes`);

  log('parse on the event loop (as before)');
  const inThread = await repeat(RUNS, async () => {
    const start = performance.now();
    loadModel(bytes.toString('utf8'));
    return ms(start);
  });

  log('parse on the worker thread (as now)');
  const parser = new WorkerArtifactParser(testConfig());
  parser.onModuleInit();
  const offThread = await repeat(RUNS, async () => {
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const start = performance.now();
    await parser.parse(Buffer.from(bytes));
    const wall = ms(start);
    delay.disable();
    return { wall, worstDelay: delay.max / 1e6 };
  });
  await parser.onModuleDestroy();

  log('rebuild from the parts that crossed the thread boundary');
  const rebuild = await repeat(RUNS, async () => {
    const parts = compactModelFromBytes(bytes);
    const start = performance.now();
    new CompactModel(structuredClone(parts, { transfer: transferablesOf(parts) }));
    return ms(start);
  });

  log(`predict ${formatNumber(ROWS)} single rows`);
  const whole = loadModel(bytes.toString('utf8'));
  const rebuilt = new CompactModel(compactModelFromBytes(bytes));
  const rows = Array.from({ length: ROWS }, (_, i) => ({ amount: (i * 37) % 100, region: i % 2 ? 'north' : 'south' }));
  const perRow = (model: CompactModel) =>
    repeat(RUNS, async () => {
      const start = performance.now();
      for (const row of rows) model.predictRow(row);
      return (ms(start) * 1000) / ROWS;
    });
  // Both through the same code before either is timed, so neither is measured while the other
  // is still being compiled for.
  for (const model of [whole, rebuilt]) for (const row of rows) model.predictRow(row);
  const wholeRow = await perRow(whole);
  const rebuiltRow = await perRow(rebuilt);

  process.stdout.write(
    table(
      ['', 'median'],
      [
        ['event loop blocked, parse on it (ms)', formatNumber(median(inThread))],
        ['parse on the worker, wall (ms)', formatNumber(median(offThread.map((r) => r.wall)))],
        ['worst event-loop delay meanwhile (ms)', formatNumber(median(offThread.map((r) => r.worstDelay)), 1)],
        ['rebuild on the event loop (ms)', formatNumber(median(rebuild), 2)],
        ['predictRow, model loaded whole (µs)', formatNumber(median(wholeRow), 2)],
        ['predictRow, rebuilt model (µs)', formatNumber(median(rebuiltRow), 2)],
      ],
    ) + '\n',
  );
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
