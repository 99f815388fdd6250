import { type DataSourceOptions, type EntitySchema } from 'typeorm';
import { OUTBOX_ENTITIES, OUTBOX_MIGRATIONS, OUTBOX_SUBSCRIBERS } from '../outbox/outbox-schema';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own element type
type EntityLike = Function | string | EntitySchema;
type PostgresDataSourceOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

export interface DataSourceSettings {
  /** `postgres://user:password@host:port/database` — the service's DATABASE_URL. */
  url: string;
  entities: EntityLike[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own element type
  migrations: Array<Function | string>;
  /** Keeps the service's tables in this schema (created at open if missing) instead of `public`. */
  schema?: string;
  /** Shown in pg_stat_activity, so a DBA can tell services apart on a shared server. */
  applicationName?: string;
  /** Connections in the pool. 10 suits a service that handles gRPC calls and a few consumers. */
  poolSize?: number;
  /**
   * Server-side limit for one statement. Matches the default gRPC deadline so that a slow query
   * cannot outlive the call that asked for it.
   */
  statementTimeoutMs?: number;
  /** A transaction left idle this long is ended by the server, releasing its locks. */
  idleInTransactionTimeoutMs?: number;
  /** Time allowed to open a connection before the pool gives up. */
  connectTimeoutMs?: number;
  /** A pooled connection unused this long is closed (the pool shrinks back after a burst). */
  idleConnectionTimeoutMs?: number;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Longer than any idle loop's period (fallback polls every 30 s, metrics every 60 s): with pg's
 * 10 s default, an idle service closed its connection after each query and opened a new one for
 * the next, paying a backend fork and a SCRAM handshake on both sides every time.
 */
export const DEFAULT_IDLE_CONNECTION_TIMEOUT_MS = 120_000;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * TypeORM options for one service's database: explicit migrations run when the data source
 * opens, never `synchronize`. The outbox and processed-events tables, their migration and the
 * subscriber that wakes the outbox relay are always included, so no service can forget them.
 */
export function createDataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  if (settings.schema !== undefined && !IDENTIFIER.test(settings.schema)) {
    throw new Error(`schema: must match ${IDENTIFIER.source}, got "${settings.schema}"`);
  }
  const poolSize = settings.poolSize ?? DEFAULT_POOL_SIZE;
  const statementTimeout = settings.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const options: PostgresDataSourceOptions = {
    type: 'postgres',
    url: settings.url,
    schema: settings.schema,
    applicationName: settings.applicationName,
    entities: unique([...OUTBOX_ENTITIES, ...settings.entities]),
    migrations: unique([...OUTBOX_MIGRATIONS, ...settings.migrations]),
    subscribers: [...OUTBOX_SUBSCRIBERS],
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize,
    connectTimeoutMS: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    extra: {
      max: poolSize,
      idleTimeoutMillis: settings.idleConnectionTimeoutMs ?? DEFAULT_IDLE_CONNECTION_TIMEOUT_MS,
      statement_timeout: statementTimeout,
      idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      // Raw SQL (the outbox, processed events) then finds the service's tables unqualified.
      ...(settings.schema ? { options: `-c search_path=${settings.schema}` } : {}),
    },
  };
  return options;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
