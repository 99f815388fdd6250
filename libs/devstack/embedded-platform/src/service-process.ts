import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { PRIVATE_FILE_MODE } from '@flywheel/dev-server-kit';

export interface ServiceProcessOptions {
  name: string;
  entryPoint: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  healthUrl: string;
}

/** One service running as its own OS process, with its output in a log file. */
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

  start(onExit: (code: number | string) => void): void {
    this.log = createWriteStream(this.options.logFile, { flags: 'a', mode: PRIVATE_FILE_MODE });
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', this.options.entryPoint], {
      cwd: this.options.cwd,
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(this.log, { end: false });
    this.child.stderr!.pipe(this.log, { end: false });
    this.exited = new Promise((resolve) =>
      this.child!.once('exit', (code, signal) => {
        this.exitCode = code ?? signal ?? -1;
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

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (!this.child || this.exitCode !== null) return this.closeLog();
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
    await this.closeLog();
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
    return new Promise((resolve) => (this.log ? this.log.end(resolve) : resolve()));
  }
}
