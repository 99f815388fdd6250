import { DataSource, type DataSourceOptions } from 'typeorm';

/**
 * Connects and runs pending migrations (each in its own transaction). A configured schema is
 * created first: TypeORM keeps its migrations table there and would fail on a fresh database.
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  const schema = options.type === 'postgres' ? options.schema : undefined;
  const dataSource = new DataSource({ ...options, migrationsRun: false });
  await dataSource.initialize();
  try {
    if (schema) await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    if (options.migrationsRun !== false) await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  '57P03', // the database system is starting up
  '53300', // too many connections
]);

/** Worth another connection attempt at boot (the server is not up yet), unlike a failed migration. */
export function isTransientConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}
