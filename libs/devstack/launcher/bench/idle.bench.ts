// What the whole platform costs when nothing happens: `npm start` on free ports, left to settle,
// then the CPU of every process below npm (six services, PostgreSQL and its backends, the
// launcher with the embedded broker and S3) over a few windows; the median window is reported,
// as a share of one core, with each part's share and whether the 2% target is met.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNumber, median, table } from '@flywheel/test-kit';
import { type CpuWindow, interrupt, measureCpu, npmStart, platformEnv, roleOf, waitForLine } from '../src/testing/platform-process';

// For two minutes or so after start each service compiles and collects its start-up garbage (a few
// full collections of a ~70 MB heap): idle is what comes after.
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE_S ?? 180);
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 3);
const WINDOW_SECONDS = Number(process.env.BENCH_WINDOW_S ?? 20);
/** The whole idle platform must stay under this share of one core. */
const TARGET = 0.02;

const percent = (share: number) => `${formatNumber(share * 100, 2)}%`;

/** Each part of the platform's share in each window (backends of one database summed). */
function byRole(windows: CpuWindow[]): Array<{ role: string; shares: number[] }> {
  const roles = new Map<string, number[]>();
  windows.forEach((window, index) => {
    for (const p of window.processes) {
      const shares = roles.get(roleOf(p.command)) ?? new Array<number>(windows.length).fill(0);
      shares[index] += p.share;
      roles.set(roleOf(p.command), shares);
    }
  });
  return [...roles].map(([role, shares]) => ({ role, shares })).sort((a, b) => median(b.shares) - median(a.shares));
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flywheel-idle-bench-'));
  const { env } = await platformEnv(dataDir);
  const platform = npmStart(env);
  try {
    const ready = await waitForLine(platform, /Flywheel is ready/, 300_000);
    process.stderr.write(`${ready}\nsettling for ${SETTLE_SECONDS} s, then ${WINDOWS} windows of ${WINDOW_SECONDS} s\n`);
    await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));
    const windows: CpuWindow[] = [];
    for (let i = 0; i < WINDOWS; i++) {
      windows.push(await measureCpu(platform.child.pid!, WINDOW_SECONDS));
      process.stderr.write(`  window ${i + 1}/${WINDOWS}: ${percent(windows[i].total)} of one core\n`);
    }
    const total = median(windows.map((w) => w.total));
    const rows = byRole(windows)
      .filter((r) => Math.max(...r.shares) > 0)
      .map((r) => [r.role, percent(median(r.shares)), r.shares.map(percent).join(' / ')]);
    process.stdout.write(
      `\n${table(
        [`process (median of ${WINDOWS} × ${WINDOW_SECONDS} s)`, '% of one core', 'each window'],
        [...rows, ['whole platform', percent(total), windows.map((w) => percent(w.total)).join(' / ')]],
      )}\n\ntarget: under ${percent(TARGET)} of one core idle — ${total < TARGET ? 'met' : 'NOT met'} (${percent(total)})\n`,
    );
  } finally {
    interrupt(platform);
    await platform.exited;
    await waitForLine(platform, /^stopped\.$/, 60_000).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
