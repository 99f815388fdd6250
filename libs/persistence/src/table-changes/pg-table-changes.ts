import { type LoggerService, Logger } from '@nestjs/common';
import { Client, type ClientConfig } from 'pg';
import { type DataSource } from 'typeorm';
import { backoffDelay, type BackoffPolicy, sleep } from '../backoff/backoff';
import { changeChannel } from './notify-on-change';
import { TableChanges } from './table-changes';

const RECONNECT_BACKOFF: BackoffPolicy = { baseDelayMs: 500, factor: 2, maxDelayMs: 30_000, jitter: 0.2 };

/**
 * {@link TableChanges} through PostgreSQL's LISTEN/NOTIFY, on one dedicated connection per data
 * source (a pooled connection would lose its LISTENs when returned). The connection opens with
 * the first listener and closes with the last. When it breaks, it is re-established with
 * backoff and every listener is called once it is back, since commits made in between went
 * unheard; until then the loops' slow fallback polls cover the gap.
 */
export class PgTableChanges extends TableChanges {
  private readonly listeners = new Map<string, Set<() => void>>();
  private client: Client | undefined;
  private listening: Promise<unknown> = Promise.resolve();
  private connecting: Promise<void> | undefined;
  private schema: string | undefined;
  private stopController = new AbortController();

  constructor(
    private readonly config: ClientConfig,
    private readonly logger: LoggerService = new Logger('TableChanges'),
  ) {
    super();
  }

  /** The connection settings of a TypeORM PostgreSQL data source (its search_path included). */
  static configOf(dataSource: DataSource): ClientConfig {
    const options = dataSource.options as DataSource['options'] & {
      url?: string;
      host?: string;
      port?: number;
      username?: string;
      password?: string | (() => string) | (() => Promise<string>);
      database?: string;
      ssl?: ClientConfig['ssl'];
      applicationName?: string;
      connectTimeoutMS?: number;
      extra?: { options?: string };
    };
    return {
      connectionString: options.url,
      host: options.host,
      port: options.port,
      user: options.username,
      password: options.password,
      database: options.database,
      ssl: options.ssl,
      application_name: options.applicationName ? `${options.applicationName} (listener)` : undefined,
      connectionTimeoutMillis: options.connectTimeoutMS,
      options: options.extra?.options,
    };
  }

  onChange(table: string, listener: () => void): () => void {
    let set = this.listeners.get(table);
    if (!set) {
      set = new Set();
      this.listeners.set(table, set);
      const client = this.client;
      if (client) this.listen(client, table).catch((error: Error) => this.lost(client, error));
    }
    set.add(listener);
    this.ensureConnected();
    return () => {
      set.delete(listener);
      if ([...this.listeners.values()].every((s) => s.size === 0)) void this.close();
    };
  }

  /** Ends the connection; a later {@link onChange} opens a new one. */
  async close(): Promise<void> {
    this.stopController.abort();
    this.stopController = new AbortController();
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private ensureConnected(): void {
    if (this.client || this.connecting) return;
    const signal = this.stopController.signal;
    this.connecting = this.connectWithRetry(signal).finally(() => (this.connecting = undefined));
  }

  private async connectWithRetry(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      const client = new Client(this.config);
      try {
        await client.connect();
        const [{ schema }] = (await client.query<{ schema: string }>('SELECT current_schema() AS schema')).rows;
        this.schema = schema;
        client.on('notification', (message) => this.dispatch(message.channel));
        client.on('error', (error) => this.lost(client, error));
        client.on('end', () => this.lost(client));
        for (const table of this.listeners.keys()) await this.listen(client, table);
        if (signal.aborted) {
          await client.end();
          return;
        }
        this.client = client;
        // Whatever was committed before the LISTENs took effect went unheard: let everyone look.
        if (attempt > 1) this.logger.log?.(`listening for table changes again after ${attempt - 1} failed attempts`);
        for (const table of this.listeners.keys()) this.announce(table);
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        const delay = backoffDelay(RECONNECT_BACKOFF, attempt);
        this.logger.warn(`cannot listen for table changes (retrying in ${delay} ms): ${(error as Error).message}`);
        await sleep(delay, signal);
      }
    }
  }

  /** One LISTEN at a time on the connection: tables asked for together would otherwise overlap (pg 9 refuses that). */
  private listen(client: Client, table: string): Promise<void> {
    const listened = this.listening.then(() =>
      client.query(`LISTEN "${changeChannel(this.schema ?? 'public', table).replace(/"/g, '""')}"`),
    );
    this.listening = listened.catch(() => undefined);
    return listened.then(() => undefined);
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    this.logger.warn(`table-change notifications interrupted${error ? `: ${error.message}` : ''}; reconnecting`);
    this.ensureConnected();
  }

  private dispatch(channel: string): void {
    const prefix = `${this.schema}.`;
    if (channel.startsWith(prefix)) this.announce(channel.slice(prefix.length));
  }

  private announce(table: string): void {
    for (const listener of [...(this.listeners.get(table) ?? [])]) {
      try {
        listener();
      } catch (error) {
        this.logger.error(`a table-change listener of ${table} failed: ${(error as Error).message}`);
      }
    }
  }
}

const perDataSource = new WeakMap<DataSource, PgTableChanges>();

/** The one listener of a data source (every loop of a service shares its connection). */
export function tableChangesFor(dataSource: DataSource): PgTableChanges {
  let changes = perDataSource.get(dataSource);
  if (!changes) perDataSource.set(dataSource, (changes = new PgTableChanges(PgTableChanges.configOf(dataSource))));
  return changes;
}
