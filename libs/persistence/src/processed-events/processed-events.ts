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

/**
 * Claims many events of one consumer in one statement, in the caller's transaction: the ids
 * claimed now (first time seen), as `claimProcessedEvent` would answer true for each. An id
 * given twice is claimed once.
 */
export async function claimProcessedEvents(manager: EntityManager, consumer: string, eventIds: readonly string[]): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows: Array<{ event_id: string }> = await manager.query(
    `INSERT INTO processed_events (consumer, event_id) SELECT $1, id FROM unnest($2::text[]) AS ids(id)
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [consumer, [...new Set(eventIds)]],
  );
  return new Set(rows.map((r) => r.event_id));
}
