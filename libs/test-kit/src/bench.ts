/** Small helpers shared by the `npm run bench` suites: repeated runs, medians, tables. */

// One table renderer for benchmarks and the `flywheel` command alike.
export { table } from '@flywheel/text-table';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `once` `runs` times (after `warmup` unrecorded runs) and returns each run's result. */
export async function repeat<T>(runs: number, once: (run: number) => Promise<T>, warmup = 1): Promise<T[]> {
  for (let i = 0; i < warmup; i++) await once(-1 - i);
  const results: T[] = [];
  for (let i = 0; i < runs; i++) {
    results.push(await once(i));
    process.stderr.write(`  run ${i + 1}/${runs} done\r`);
  }
  process.stderr.write('\n');
  return results;
}

export function formatNumber(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
