// `npm start` driven from a test or a benchmark: start it as a terminal would, wait for its
// lines, stop it with Ctrl-C, and read what its processes cost from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { distinctPorts, freeStablePort } from '@flywheel/test-kit';
import { SERVICES, envPrefix, type ServiceName } from '@flywheel/embedded-platform';

const REPO_ROOT = resolve(__dirname, '../../../../..');

export interface RunningPlatform {
  child: ChildProcess;
  output: string[];
  /** The exit code, or the signal that ended npm. */
  exited: Promise<number | string | null>;
}

export interface PlatformPorts {
  env: NodeJS.ProcessEnv;
  services: Record<ServiceName, { grpc: number; http: number }>;
}

/**
 * An environment for `npm start` on free loopback ports, with its data in `dataDir`. The ports lie
 * below the ephemeral range, as the defaults do, so that a restart finds them free again.
 */
export async function platformEnv(dataDir: string, base: NodeJS.ProcessEnv = process.env): Promise<PlatformPorts> {
  const ports = await distinctPorts(4 + 2 * SERVICES.length, freeStablePort);
  const next = () => ports.pop()!;
  const env: NodeJS.ProcessEnv = {
    ...base,
    FLYWHEEL_DATA_DIR: dataDir,
    KAFKA_PORT: String(next()),
    POSTGRES_PORT: String(next()),
    S3_PORT: String(next()),
    // Not 8080: two platforms (or a developer's own) may run beside each other.
    CONSOLE_HTTP_PORT: String(next()),
  };
  const services = {} as PlatformPorts['services'];
  for (const service of SERVICES) {
    services[service] = { grpc: next(), http: next() };
    env[`${envPrefix(service)}_GRPC_PORT`] = String(services[service].grpc);
    env[`${envPrefix(service)}_HTTP_PORT`] = String(services[service].http);
  }
  return { env, services };
}

/**
 * `npm start` in its own process group, as a terminal runs it: Ctrl-C to the group reaches npm and
 * the launcher (services and PostgreSQL run in groups of their own).
 */
export function npmStart(env: NodeJS.ProcessEnv): RunningPlatform {
  const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return { child, output, exited };
}

export async function waitForLine(running: RunningPlatform, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = running.output.find((l) => pattern.test(l));
    if (line) return line;
    if (running.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no line matching ${pattern} (exit ${running.child.exitCode}); output:\n${running.output.join('\n')}`);
}

/** Ctrl-C for the whole group; nothing to do if it has already gone. */
export function interrupt(running: RunningPlatform): void {
  try {
    process.kill(-running.child.pid!, 'SIGINT');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The launcher's own process (npm runs it through a shell). */
export function launcherPid(running: RunningPlatform): number {
  // Not the shell npm runs it through (`sh -c node … main.ts`): the node process itself.
  const pid = descendants(running.child.pid!).find((p) => /^\S*node -r \S+ \S*launcher\/src\/main\.ts/.test(commandOf(p)));
  if (pid === undefined) throw new Error('no launcher process below npm');
  return pid;
}

/** The pid of a running service, from the pid file the launcher keeps in the data folder. */
export function servicePid(dataDir: string, service: ServiceName): number {
  return (JSON.parse(readFileSync(join(dataDir, 'run', `${service}.pid`), 'utf8')) as { pid: number }).pid;
}

/** Every process below `pid`, read from /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

interface CpuReading {
  /** When the process started (clock ticks since boot): tells a reused pid from the process that had it. */
  started: number;
  /** CPU time (user + system) used so far, in seconds. */
  seconds: number;
}

/** CPU used so far by each of `pids` that is still running. */
export function cpuReadings(pids: readonly number[]): Map<number, CpuReading> {
  const ticksPerSecond = 100; // USER_HZ on Linux
  const readings = new Map<number, CpuReading>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime and starttime are the 14th, 15th and 22nd fields of the line, the 12th, 13th
      // and 20th after the name.
      readings.set(pid, { started: Number(fields[19]), seconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond });
    } catch {
      // the process ended while we looked
    }
  }
  return readings;
}

export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 120);
  } catch {
    return '(ended)';
  }
}

export const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

export interface ProcessShare {
  pid: number;
  command: string;
  /** CPU used over the window, as a share of one core (0.01 = 1%). */
  share: number;
}

export interface CpuWindow {
  seconds: number;
  /** Every process below the root, together, as a share of one core. */
  total: number;
  /** Busiest first. */
  processes: ProcessShare[];
}

/**
 * What the processes below `rootPid` use over `seconds`: those there at the start and those that
 * appear meanwhile (a new connection's backend counts all its CPU). One that ends within the
 * window took its last CPU time with it and counts nothing.
 */
export async function measureCpu(rootPid: number, seconds: number): Promise<CpuWindow> {
  const before = cpuReadings(descendants(rootPid));
  const commands = new Map([...before.keys()].map((pid) => [pid, commandOf(pid)]));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const now = descendants(rootPid);
  for (const pid of now) if (!commands.has(pid)) commands.set(pid, commandOf(pid));
  const after = cpuReadings(now);
  const processes = [...new Set([...before.keys(), ...now])]
    .map((pid) => {
      const [start, end] = [before.get(pid), after.get(pid)];
      const used = !end ? 0 : start && start.started === end.started ? end.seconds - start.seconds : end.seconds;
      return { pid, command: commands.get(pid) ?? '', share: used / seconds };
    })
    .sort((a, b) => b.share - a.share);
  return { seconds, total: processes.reduce((sum, p) => sum + p.share, 0), processes };
}

/** A process's part in the platform, for reports: a service's name, `launcher (broker, S3)`, `postgres …`. */
export function roleOf(command: string): string {
  const service = /\/services\/([a-z-]+)\/src\/main\.ts/.exec(command);
  if (service) return service[1];
  if (command.includes('launcher/src/main.ts')) return 'launcher (broker, S3)';
  const backend = /^postgres: \S+ (flywheel_[a-z_]+)/.exec(command);
  if (backend) return `postgres backends of ${backend[1]}`;
  if (command.startsWith('postgres: '))
    return `postgres ${command
      .slice('postgres: '.length)
      .split(/\s{2,}/)[0]
      .trim()}`;
  if (/\/bin\/postgres\b/.test(command)) return 'postgres (postmaster)';
  if (/\bnpm\b/.test(command)) return 'npm';
  return command.slice(0, 60);
}
