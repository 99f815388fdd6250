import { type EntityManager } from 'typeorm';

/**
 * Claims `(consumer, eventId)` in the caller's transaction. True: first time, apply the event.
 * False: it was applied before (or is being applied by a transaction that then committed),
 * so skip it. A concurrent claim of the same event waits on the primary key until the first
 * transaction ends, which is what makes the decision safe under redelivery during a rebalance.
 */
export async function claimProcessedEvent(manager: EntityManager, consumer: string, eventId: string): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
    [consumer, eventId],
  );
  return rows.length === 1;
}
