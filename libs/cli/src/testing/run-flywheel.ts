import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');
const BIN = resolve(ROOT, 'libs/cli/bin/flywheel.js');

export interface FlywheelRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real `flywheel` bin, as a person would from the repository root. */
export function runFlywheel(args: string[], env: NodeJS.ProcessEnv = process.env): FlywheelRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
