import { spawnSync } from 'node:child_process';

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
