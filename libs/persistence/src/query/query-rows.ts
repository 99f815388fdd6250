import { type EntityManager } from 'typeorm';

/**
 * Runs raw SQL and returns its rows, whatever the statement. TypeORM's postgres driver answers
 * `UPDATE … RETURNING` and `DELETE … RETURNING` with `[rows, affectedCount]` but `SELECT` and
 * `INSERT … RETURNING` with the rows alone; callers should not have to know which.
 *
 * For the statements TypeORM's query builder cannot express (partial-index upserts, `COPY`,
 * conditional `ON CONFLICT … WHERE`): everything else goes through entities and repositories.
 */
export async function queryRows<Row>(manager: EntityManager, sql: string, parameters: readonly unknown[] = []): Promise<Row[]> {
  return rowsOf<Row>(await manager.query(sql, [...parameters]));
}

/** The rows of a result from `EntityManager.query` (see {@link queryRows}). */
export function rowsOf<Row>(result: unknown): Row[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as Row[];
  return Array.isArray(result) ? (result as Row[]) : [];
}
