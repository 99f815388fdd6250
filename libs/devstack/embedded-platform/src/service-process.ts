import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { PRIVATE_FILE_MODE } from '@flywheel/dev-server-kit';
import { removePidFile, signal, writePidFile } from './owned-processes';

export interface ServiceProcessOptions {
  name: string;
  entryPoint: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  healthUrl: string;
  /** Where the running process's pid is kept, so that a later launcher can stop it if this one dies. */
  pidFile?: string;
  /** Options for Node itself, before the entry point (e.g. `--cpu-prof`, which NODE_OPTIONS may not carry). */
  nodeOptions?: readonly string[];
}

/**
 * One service running as its own OS process, with its output in a log file. It runs in a process
 * group of its own (detached), so a terminal's Ctrl-C reaches only the launcher, which stops the
 * services in order. It can be started again after it has exited.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  private log?: WriteStream;
  private exitCode: number | string | null = null;
  private exited?: Promise<void>;

  constructor(readonly options: ServiceProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Non-null once the process has ended: its exit code or the signal that ended it. */
  get exit(): number | string | null {
    return this.exitCode;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitCode === null;
  }

  start(onExit: (code: number | string) => void): void {
    if (this.running) throw new Error(`${this.options.name} is already running`);
    this.log ??= createWriteStream(this.options.logFile, { flags: 'a', mode: PRIVATE_FILE_MODE });
    this.exitCode = null;
    const node = [...(this.options.nodeOptions ?? []), '-r', '@swc-node/register'];
    const child = spawn(process.execPath, [...node, this.options.entryPoint], {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    child.stdout!.pipe(this.log, { end: false });
    child.stderr!.pipe(this.log, { end: false });
    const { pidFile, entryPoint } = this.options;
    if (pidFile && child.pid !== undefined) writePidFile(pidFile, child.pid, entryPoint);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signalName) => {
        if (pidFile && child.pid !== undefined) removePidFile(pidFile, child.pid);
        this.exitCode = code ?? signalName ?? -1;
        resolve();
        onExit(this.exitCode);
      }),
    );
  }

  /** Resolves true once GET /healthz answers 200. */
  healthy(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request(this.options.healthUrl, { timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }

  /** SIGTERM to its process group (its graceful shutdown), then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.running) {
      this.signalGroup('SIGTERM');
      const killer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(killer);
    }
    await this.closeLog();
  }

  /** SIGKILL at once, synchronously: for a second Ctrl-C, or a launcher that is exiting. */
  kill(): void {
    if (this.running) this.signalGroup('SIGKILL');
  }

  private signalGroup(name: NodeJS.Signals): void {
    if (this.child?.pid !== undefined) signal(-this.child.pid, name);
  }

  /** The last lines of the service's log, to show why it failed. */
  tail(lines = 20): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    return new Promise((resolve) => (log ? log.end(resolve) : resolve()));
  }
}
