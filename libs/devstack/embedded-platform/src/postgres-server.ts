// async-exit-hook ships no types; referencing our declaration here (not through one project's
// tsconfig) lets every project that compiles this file through @flywheel/embedded-platform see it.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./async-exit-hook.d.ts" />
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { PRIVATE_DIR_MODE } from '@flywheel/dev-server-kit';
import { identify, isPostgresOf, terminate } from './owned-processes';
import { writeInitdbPasswordFile } from './postgres-home';
import { provisionServiceDatabase, type ServiceDatabase } from './service-database';

export interface PostgresServerOptions {
  /**
   * PostgreSQL's own folder (postgres-home.ts): the cluster is initialised in `cluster/` below
   * it on first start and reused after. As root, its owner is the OS user PostgreSQL runs as.
   */
  dataDir: string;
  port: number;
  /** Superuser password: chosen by the caller (the launcher generates and keeps one). */
  password: string;
  user?: string;
  onLog?: (line: string) => void;
  /** Told what was done to start it, e.g. a server left running on the cluster stopped. */
  onNotice?: (message: string) => void;
}

// embedded-postgres installs signal handlers that stop every server and exit the process on
// SIGINT/SIGTERM. The launcher must stop the services first and Postgres last, so it owns the
// signals: the package's handlers are taken off again.
for (const event of exitHook.hookedEvents()) if (event !== 'exit') exitHook.unhookEvent(event);

/**
 * A real PostgreSQL server from the `embedded-postgres` package's binaries, listening on
 * loopback only. As root, Postgres refuses to run, so the package's `postgres` system user
 * owns the cluster folder.
 */
export class PostgresServer {
  private constructor(
    private readonly server: ChildProcess,
    readonly host: string,
    readonly port: number,
    private readonly user: string,
    private readonly password: string,
  ) {}

  static async start(options: PostgresServerOptions): Promise<PostgresServer> {
    const user = options.user ?? 'postgres';
    mkdirSync(options.dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const cluster = join(options.dataDir, 'cluster');
    const asRoot = process.getuid?.() === 0;
    const initialised = existsSync(join(cluster, 'PG_VERSION'));
    // The package would write the password to a file in the shared temporary folder: it gets a
    // throw-away one there, and initdb the real one from our file (the last --pwfile wins).
    const pwfile = initialised ? undefined : writeInitdbPasswordFile(options.dataDir, options.password);
    const pg = new EmbeddedPostgres({
      databaseDir: cluster,
      port: options.port,
      user,
      password: randomBytes(24).toString('hex'),
      initdbFlags: pwfile ? [`--pwfile=${pwfile}`] : [],
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: asRoot,
      onLog: options.onLog ?? (() => undefined),
      onError: (error) => options.onLog?.(`[error] ${String(error)}`),
    });
    if (pwfile) await pg.initialise().finally(() => rmSync(pwfile, { force: true }));
    await stopLeftoverServer(cluster, options.onNotice ?? (() => undefined));
    const server = await startServer(cluster, options, asRoot);
    return new PostgresServer(server, '127.0.0.1', options.port, user, options.password);
  }

  /** Connection URL for one database on this server. */
  url(database = 'postgres'): string {
    return `postgres://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@${this.host}:${this.port}/${database}`;
  }

  /** Creates (or brings up to date) a service's role and database; returns the URL the service connects with. */
  ensureServiceDatabase(spec: ServiceDatabase): Promise<string> {
    return provisionServiceDatabase(this.url(), spec);
  }

  /** Fast shutdown (SIGINT: sessions ended, a checkpoint), then immediate (SIGQUIT) after 30 s. */
  async stop(): Promise<void> {
    const child = this.server;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const quit = setTimeout(() => child.kill('SIGQUIT'), 30_000);
    await exited;
    clearTimeout(quit);
  }

  /** Immediate shutdown, synchronously, for a launcher that is exiting without stop(). */
  kill(): void {
    if (this.server.exitCode === null && this.server.signalCode === null) this.server.kill('SIGQUIT');
  }
}

/**
 * Spawned here rather than by the package, whose `postgres` shares the launcher's process group:
 * a terminal's Ctrl-C would stop it while the services still drain into it. In its own group, it
 * hears only the launcher, which stops it last.
 */
async function startServer(cluster: string, options: PostgresServerOptions, asRoot: boolean): Promise<ChildProcess> {
  // The binary as the package for this platform places it (dist/index.js names ../native/bin/postgres),
  // found without loading that module: embedded-postgres is importing it at the same time.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const postgres = join(dirname(entry), '..', 'native', 'bin', 'postgres');
  // As root, it runs as the user who owns the cluster (embedded-postgres made it `postgres`).
  const owner = asRoot ? statSync(cluster) : undefined;
  const child = spawn(
    postgres,
    // Loopback TCP only; no unix socket to collide with a system Postgres.
    ['-D', cluster, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' }, uid: owner?.uid, gid: owner?.gid },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(
        new Error(`PostgreSQL did not start on port ${options.port} (exit ${code ?? signal}); is the port taken?\n${output.slice(-2000)}`),
      ),
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.onLog?.(text);
      output = (output + text).slice(-4000);
      if (output.includes('database system is ready to accept connections')) resolve();
    });
  });
  return child;
}

/**
 * A launcher killed with SIGKILL leaves its PostgreSQL running on the cluster, and the next
 * start would fail on the port. The postmaster.pid's process is stopped only if it is a postgres
 * serving this very cluster.
 */
async function stopLeftoverServer(cluster: string, notice: (message: string) => void): Promise<void> {
  const pidFile = join(cluster, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').slice(0, 64).split('\n')[0]);
  const target = isPostgresOf(pid, realpathSync(cluster)) ? identify(pid) : undefined;
  if (!target) return;
  notice(`stopping PostgreSQL (pid ${pid}) left running on ${cluster} by a launcher that did not stop it`);
  const how = await terminate(target, { first: 'SIGINT', graceMs: 30_000, group: true });
  if (how === 'killed') notice(`PostgreSQL (pid ${pid}) did not stop within 30 s and was killed`);
}
