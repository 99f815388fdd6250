// Peak memory of training on 1,000,000 × 20 rows, per algorithm. Each fit runs in its own
// process with V8's heap capped at 1 GiB (--max-old-space-size): a fit that needs more dies
// there. The table is built in memory (a CSV of that size is a benchmark of the parser).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { formatNumber, table } from '@flywheel/test-kit';
import { type Algorithm } from '../src';

const ROWS = Number(process.env.BENCH_MEMORY_ROWS ?? 1_000_000);
const HEAP_LIMIT_MB = 1024;
const ALGOS: Algorithm[] = ['logreg', 'linear', 'gbdt'];

interface ChildReport {
  seconds: number;
  peakRssMb: number;
  peakHeapMb: number;
  tableMb: number;
}

const log = (message: string): void => void process.stderr.write(`${message}\n`);

function fitInChild(algo: Algorithm): ChildReport | { error: string } {
  const child = spawnSync(
    process.execPath,
    [
      `--max-old-space-size=${HEAP_LIMIT_MB}`,
      '--trace-gc',
      '-r',
      '@swc-node/register',
      join(__dirname, 'training-memory.child.ts'),
      algo,
      String(ROWS),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 },
  );
  if (child.status !== 0) {
    const lastLine = child.stderr.trim().split('\n').slice(-3).join(' ');
    return { error: `exit ${child.status ?? child.signal}: ${lastLine}` };
  }
  const lines = child.stdout.split('\n');
  const result = lines.find((l) => l.startsWith('RESULT '));
  if (result === undefined) return { error: 'no result line' };
  return { ...(JSON.parse(result.slice('RESULT '.length)) as Omit<ChildReport, 'peakHeapMb'>), peakHeapMb: peakHeapOf(lines) };
}

/** The largest heap a collection started from, in a --trace-gc log ("Mark-Compact 812.4 (830.1) -> …"). */
function peakHeapOf(trace: readonly string[]): number {
  let peak = 0;
  for (const line of trace) {
    const m = /: (?:Scavenge|Mark-Compact|Mark-Compact \(reduce\)|Minor Mark-Compact)[^\d]*([\d.]+) \(/.exec(line);
    if (m) peak = Math.max(peak, Number(m[1]));
  }
  return peak;
}

const rows = ALGOS.map((algo) => {
  log(`fit ${algo} on ${formatNumber(ROWS)} × 20 in a process with a ${HEAP_LIMIT_MB} MiB heap`);
  const r = fitInChild(algo);
  if ('error' in r) return [algo, '-', '-', '-', '-', `failed: ${r.error}`];
  // Resident memory counts the typed arrays too: the stricter reading of "within 1 GiB".
  const met = r.peakHeapMb <= HEAP_LIMIT_MB && r.peakRssMb <= HEAP_LIMIT_MB;
  return [
    algo,
    formatNumber(r.seconds, 1),
    formatNumber(r.tableMb),
    formatNumber(r.peakHeapMb),
    formatNumber(r.peakRssMb),
    met ? 'met' : 'NOT met',
  ];
});
process.stdout.write(
  `\n${table([`fitModel, ${formatNumber(ROWS)} × 20`, 'seconds', 'input table MiB', 'peak V8 heap MiB', 'peak resident MiB', `heap and resident ≤ ${HEAP_LIMIT_MB} MiB`], rows)}\n` +
    'peak V8 heap: the most the heap held at any garbage collection (typed arrays live outside it, in the resident figure); peak resident: the process at its largest, input table included\n\n',
);
