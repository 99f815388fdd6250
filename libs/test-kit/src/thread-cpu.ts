import { readdirSync, readFileSync } from 'node:fs';

/** Linux's clock ticks per second for /proc CPU times (USER_HZ, 100 on every common build). */
const TICKS_PER_SECOND = 100;

/** A thread as /proc shows it. */
export interface ThreadInfo {
  readonly pid: number;
  readonly tid: number;
  /** The thread's name (`comm`). */
  readonly name: string;
}

/** CPU milliseconds (user + system) each thread of the machine has used so far, by `pid/tid`. */
export function threadCpu(): Map<string, ThreadInfo & { readonly ms: number }> {
  const out = new Map<string, ThreadInfo & { readonly ms: number }>();
  for (const pidDir of readdirSync('/proc')) {
    if (!/^\d+$/.test(pidDir)) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pidDir}/task`);
    } catch {
      continue; // the process ended meanwhile
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pidDir}/task/${tid}/stat`, 'utf8');
        // The name is in parentheses and may hold spaces; the fields after it are space-separated.
        const close = stat.lastIndexOf(')');
        const fields = stat.slice(close + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]);
        const info = { pid: Number(pidDir), tid: Number(tid), name: stat.slice(stat.indexOf('(') + 1, close) };
        out.set(`${pidDir}/${tid}`, { ...info, ms: (ticks * 1000) / TICKS_PER_SECOND });
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

/**
 * CPU milliseconds used between two {@link threadCpu} snapshots, summed by the label `labelOf`
 * gives each thread (threads it gives none are left out).
 */
export function cpuUsedBetween(
  before: ReturnType<typeof threadCpu>,
  after: ReturnType<typeof threadCpu>,
  labelOf: (thread: ThreadInfo) => string | undefined,
): Map<string, number> {
  const used = new Map<string, number>();
  for (const [key, thread] of after) {
    const label = labelOf(thread);
    if (label === undefined) continue;
    used.set(label, (used.get(label) ?? 0) + thread.ms - (before.get(key)?.ms ?? 0));
  }
  return used;
}
