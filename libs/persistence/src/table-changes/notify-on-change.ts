/**
 * The NOTIFY side of {@link TableChanges}: one trigger function, shared by every table, that
 * announces a commit on the channel `<schema>.<table>` (delivered only once the transaction
 * commits, and once per transaction however many statements it ran).
 */
export const NOTIFY_CHANGE_FUNCTION = 'flywheel_notify_table_change';

/** Creates (or replaces) the trigger function; the outbox's migration runs it in every service's database. */
export function createNotifyFunctionSql(): string {
  return `CREATE OR REPLACE FUNCTION ${NOTIFY_CHANGE_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, '');
  RETURN NULL;
END $$`;
}

/** The statement that makes commits on `table` notify its listeners (a migration runs it). */
export function notifyOnChangeSql(table: string): string {
  return `CREATE TRIGGER ${table}_notify_change AFTER INSERT OR UPDATE OR DELETE ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION ${NOTIFY_CHANGE_FUNCTION}()`;
}

export function dropNotifyOnChangeSql(table: string): string {
  return `DROP TRIGGER IF EXISTS ${table}_notify_change ON ${table}`;
}

/** The channel a change of `table` in `schema` is announced on. */
export function changeChannel(schema: string, table: string): string {
  return `${schema}.${table}`;
}
