import { execFile, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
/** The repository's `flywheel` command, as users run it. */
export const FLYWHEEL_BIN = resolve(ROOT, 'libs/cli/bin/flywheel.js');

export interface FlywheelRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the `flywheel` bin from the repository root with `env` added to this process's
 * environment, asynchronously: the services it calls may live in this process.
 */
export function runFlywheel(args: readonly string[], env: Record<string, string> = {}): Promise<FlywheelRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [FLYWHEEL_BIN, ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** {@link runFlywheel} blocking this process until the command ends, for commands that need nothing from it; `env` replaces the environment. */
export function runFlywheelSync(args: readonly string[], env: NodeJS.ProcessEnv = process.env): FlywheelRun {
  const r = spawnSync(process.execPath, [FLYWHEEL_BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
