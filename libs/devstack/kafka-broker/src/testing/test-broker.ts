import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { jsonLogger } from '@flywheel/dev-server-kit';
import { type BrokerConfig } from '../broker-config';
import { KafkaBroker } from '../kafka-broker';

const REPO_ROOT = resolve(__dirname, '../../../../..');

export function temporaryDataDir(prefix = 'flywheel-kafka-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestBroker {
  broker: KafkaBroker;
  /** `host:port`, for a client's bootstrap list. */
  address: string;
  dataDir: string;
  /** Stops the broker and removes its data folder. */
  stop(): Promise<void>;
}

/** An in-process broker on a free loopback port, with no initial rebalance delay. */
export async function startTestBroker(options: Partial<BrokerConfig> = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? temporaryDataDir();
  const broker = await KafkaBroker.start({
    port: 0,
    initialRebalanceDelayMs: 0,
    logger: jsonLogger(process.env.BROKER_LOG_LEVEL === undefined ? 'error' : (process.env.BROKER_LOG_LEVEL as 'debug'), 'kafka-broker'),
    ...options,
    dataDir,
  });
  return {
    broker,
    address: broker.bootstrapAddress,
    dataDir,
    async stop() {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface BrokerProcess {
  child: ChildProcess;
  address: string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
}

/**
 * The broker as `npm run broker` runs it, in a child process, so that tests can send it real
 * signals (SIGTERM for a clean stop, SIGKILL for a crash). Anonymous unless `extraArgs` name a
 * `--users-file`.
 */
export function spawnBrokerProcess(port: number, dataDir: string, extraArgs: string[] = []): Promise<BrokerProcess> {
  const security = extraArgs.includes('--users-file') ? [] : ['--allow-anonymous'];
  const child = spawn(
    process.execPath,
    [
      '-r',
      '@swc-node/register',
      'libs/devstack/kafka-broker/src/main.ts',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
      '--rebalance-delay-ms',
      '0',
      ...security,
      ...extraArgs,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker process did not become ready in 30 s: ${stderr}`));
    }, 30_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const ready = /ready at (\S+)/.exec(line);
      if (ready) {
        clearTimeout(timer);
        resolve({ child, address: ready[1], exited });
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker process exited (${code}) before it was ready: ${stderr}`));
    });
  });
}
