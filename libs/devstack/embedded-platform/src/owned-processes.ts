import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';

/**
 * Processes the launcher started and may find again after it was killed (kill -9 leaves its
 * detached children running, holding their ports). Before anything is signalled, a process is
 * identified from /proc — its start time and command line, or its executable and working folder —
 * so that a pid reused by an unrelated process is never touched. Where there is no /proc, nothing
 * is identified and nothing is stopped.
 */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot: a reused pid has another. */
  startTicks: number;
  /** Process group id. */
  group: number;
  commandLine: string[];
}

export function identify(pid: number): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised name: state, ppid, pgrp, … starttime is the 20th of them.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, startTicks: Number(fields[19]), group: Number(fields[2]), commandLine };
  } catch {
    return undefined;
  }
}

/** A running `postgres` whose working folder (the postmaster chdirs into its data folder) is `dataDir`. */
export function isPostgresOf(pid: number, dataDir: string): boolean {
  try {
    return (
      identify(pid) !== undefined &&
      basename(readlinkSync(`/proc/${pid}/exe`)) === 'postgres' &&
      readlinkSync(`/proc/${pid}/cwd`) === dataDir
    );
  } catch {
    return false;
  }
}

interface PidFile {
  pid: number;
  startTicks: number;
  /** A path among the process's arguments (a service's entry point, the launcher's script). */
  marker: string;
}

/** Records a started process, to find it again should the launcher die without stopping it. */
export function writePidFile(file: string, pid: number, marker: string): void {
  const identity = identify(pid);
  const record: PidFile = { pid, startTicks: identity?.startTicks ?? -1, marker };
  writeFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export function removePidFile(file: string, pid: number): void {
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as PidFile).pid === pid) rmSync(file);
  } catch {
    // already gone, or not ours
  }
}

/** The process a pid file names, if it still runs: same pid, same start time, and the marker in its command line. */
export function runningFrom(file: string): ProcessIdentity | undefined {
  if (!existsSync(file)) return undefined;
  let record: Partial<PidFile>;
  try {
    const text = readFileSync(file, 'utf8');
    record = text.length > 4096 ? {} : (JSON.parse(text) as Partial<PidFile>);
  } catch {
    record = {};
  }
  if (typeof record.pid !== 'number' || typeof record.marker !== 'string' || record.marker === '') return undefined;
  const identity = identify(record.pid);
  if (!identity || identity.startTicks !== record.startTicks || !commandNames(identity, record.marker)) return undefined;
  return identity;
}

/** One of its arguments is `path`, absolute or relative to its working folder. */
function commandNames(identity: ProcessIdentity, path: string): boolean {
  let cwd: string;
  try {
    cwd = readlinkSync(`/proc/${identity.pid}/cwd`);
  } catch {
    return false;
  }
  return identity.commandLine.some((arg) => arg === path || resolve(cwd, arg) === path);
}

/**
 * None of its threads runs any more. Its main thread alone is not enough: exiting, it can be a
 * zombie while other threads (a service's worker threads) are still being torn down, and those
 * hold the process's files — its listening ports — until the last of them is gone. A zombie no
 * one reaps (its parent was killed, and the container's init may never reap) counts as gone.
 */
export function exited(pid: number): boolean {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return threads.every((thread) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
      const state = stat[stat.lastIndexOf(')') + 2];
      return state === 'Z' || state === 'X';
    } catch {
      return true;
    }
  });
}

/** Sends a signal; false if the process (or group, for a negative pid) no longer exists. */
export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Stops a process that is not our child (we cannot wait for its exit event): `first`, then
 * SIGKILL if it is still there after `graceMs`. With `group`, its whole process group is signalled.
 * Resolves with how it ended.
 */
export async function terminate(
  target: ProcessIdentity,
  options: { first: NodeJS.Signals; graceMs: number; group?: boolean },
): Promise<'stopped' | 'killed'> {
  const id = options.group && target.group === target.pid ? -target.pid : target.pid;
  signal(id, options.first);
  const deadline = Date.now() + options.graceMs;
  while (Date.now() < deadline) {
    if (exited(target.pid)) return 'stopped';
    await new Promise((r) => setTimeout(r, 100));
  }
  signal(id, 'SIGKILL');
  // SIGKILL cannot be caught; only a process stuck in the kernel outlives it for long.
  for (let waited = 0; !exited(target.pid) && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  return 'killed';
}
