import { decodeConsumedEvent, type EventEnvelope, eventTypeOf, EventTypeRegistry } from '@flywheel/contracts';
import { type EntityManager } from 'typeorm';
import { newTraceparent, type TraceContext } from '../trace/trace-context';
import { type BatchHandler, type ConsumedBatch } from './batch-consumer-group';
import { type EventBatchHandlerBinding } from './handler-binding';

/** The I/O a batch of events needs, as ports. */
export interface EventBatchPorts {
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
  /** Claims the ids for the consumer in that transaction; the ids claimed now. */
  claimMany(manager: EntityManager, consumer: string, eventIds: readonly string[]): Promise<Set<string>>;
  traceContext: TraceContext;
}

/**
 * What a batch consumer does with a fetched batch for an `@ConsumeEventBatch` handler: decode
 * each record (its types with their schemas, any other type against every type the platform
 * knows, so poison is found either way), then in one transaction claim the events' ids and hand
 * the handler those claimed now, in offset order. A record that is no valid event throws
 * (EventDecodeError, never retried): the batch consumer then applies the records one by one and
 * parks that one.
 */
export function eventBatchHandler(
  group: string,
  binding: EventBatchHandlerBinding,
  catalog: EventTypeRegistry,
  ports: EventBatchPorts,
): BatchHandler {
  const handled = new EventTypeRegistry().register(...binding.types);
  return async (batch: ConsumedBatch) => {
    const events: EventEnvelope[] = [];
    for (const record of batch.records) {
      const typeName = eventTypeOf(record);
      const mine = typeName !== undefined && handled.has(typeName);
      const event = decodeConsumedEvent(record, mine ? handled : catalog);
      if (mine) events.push(event);
    }
    if (events.length === 0) return;
    await ports.traceContext.run(newTraceparent(), () =>
      ports.transaction(async (manager) => {
        const claimed = await ports.claimMany(
          manager,
          group,
          events.map((e) => e.id),
        );
        // An id repeated inside the batch is claimed once: its first occurrence is the one applied.
        const fresh = events.filter((e) => claimed.delete(e.id));
        if (fresh.length > 0) await binding.handle(fresh as Array<EventEnvelope<never>>, manager);
      }),
    );
  };
}
