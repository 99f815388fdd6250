import { type EntityManager } from 'typeorm';
import { noteOutboxWrite } from './outbox-signal';

/** A Kafka record as the outbox stores it: opaque bytes and string headers. */
export interface OutboxRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** An outbox row the relay is about to publish. */
export interface PendingOutboxRecord extends OutboxRecord {
  id: string;
}

/**
 * Appends records to the outbox through `manager`, i.e. inside the caller's transaction: they
 * are published if and only if that transaction commits. Returns the rows' ids, in order.
 */
export async function appendToOutbox(manager: EntityManager, records: readonly OutboxRecord[]): Promise<string[]> {
  if (records.length === 0) return [];
  const params: unknown[] = [];
  const rows = records.map((record) => {
    params.push(record.topic, record.key, record.value, JSON.stringify(record.headers));
    const n = params.length;
    return `($${n - 3}, $${n - 2}, $${n - 1}, $${n}::jsonb)`;
  });
  // One multi-row INSERT keeps the ids in the records' order.
  const inserted: Array<{ id: string }> = await manager.query(
    `INSERT INTO outbox (topic, key, value, headers) VALUES ${rows.join(', ')} RETURNING id`,
    params,
  );
  noteOutboxWrite(manager);
  return inserted.map((row) => String(row.id));
}
