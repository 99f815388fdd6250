import { spawn, spawnSync } from 'node:child_process';

/**
 * Third-party clients (Debian's kcat, python3-confluent-kafka, python3-grpcio) prove that our
 * servers speak the real protocols. Suites that need them are named `*.librdkafka.*` or
 * `*.grpcio.*`; jest.config.js leaves them out, loudly, on a machine without the clients unless
 * CI=true, and there this check fails the suite with the install hint.
 */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function assertToolAvailable(command: string, args: string[], installHint: string): void {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (result.status === 0) return;
  const why = result.error ? result.error.message : (result.stderr || result.stdout).trim().split('\n').pop();
  throw new Error(`${command} ${args.join(' ')} failed (${why}); install with: ${installHint}`);
}

export const assertKcat = () => assertToolAvailable('kcat', ['-V'], 'apt-get install kcat');
export const assertConfluentKafkaPython = () =>
  assertToolAvailable(DEBIAN_PYTHON, ['-c', 'import confluent_kafka'], 'apt-get install python3-confluent-kafka');

/** Runs a Python script with Debian's python3 (its python3-grpcio and python3-protobuf), killed after `timeoutMs`. */
export function runDebianPython(
  script: string,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEBIAN_PYTHON, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
