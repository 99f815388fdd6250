// async-exit-hook ships no types; referencing our declaration here (not through one project's
// tsconfig) lets every project that compiles this file through @flywheel/embedded-platform see it.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./async-exit-hook.d.ts" />
import { type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { PRIVATE_DIR_MODE } from '@flywheel/dev-server-kit';
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
      // Loopback TCP only; no unix socket to collide with a system Postgres.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: options.onLog ?? (() => undefined),
      onError: (error) => options.onLog?.(`[error] ${String(error)}`),
    });
    if (pwfile) await pg.initialise().finally(() => rmSync(pwfile, { force: true }));
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

  /** Creates (or brings up to date) a service's role and database; returns the URL the service connects with. */
  ensureServiceDatabase(spec: ServiceDatabase): Promise<string> {
    return provisionServiceDatabase(this.url(), spec);
  }

  async stop(): Promise<void> {
    // A terminal's Ctrl-C reaches PostgreSQL too; once it has exited, the package's stop()
    // would wait for an exit event that already happened.
    const child = (this.pg as unknown as { process?: ChildProcess }).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await this.pg.stop();
  }
}
