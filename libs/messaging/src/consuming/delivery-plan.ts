import { eventTypeOf, EventTypeRegistry } from '@flywheel/contracts';
import { type ConsumedRecord } from './consumed-record';
import { type EventHandlerBinding, type HandlerBinding, type RawHandlerBinding, topicMatches } from './handler-binding';

/**
 * What to do with one record, decided from its topic and `ce_type` alone (plain JSON on a
 * plain-JSON topic is that topic's type):
 * - `raw`: hand it to the raw handler; it is deduped by its position in the log.
 * - `event`: decode it with the handler's types (a failure is a poison message), dedupe by `ce_id`.
 * - `validate-only`: an event this group does not handle, e.g. a RunFailed on a topic it reads
 *   for RunCompleted. It is still decoded against every type the platform knows, so that a
 *   malformed record or an unknown type is parked as poison; a valid one is acknowledged.
 */
export type DeliveryPlan =
  | { kind: 'raw'; binding: RawHandlerBinding; dedupeId: string }
  | { kind: 'event'; binding: EventHandlerBinding; registry: EventTypeRegistry }
  | { kind: 'validate-only'; registry: EventTypeRegistry };

export class DeliveryPlanner {
  private readonly registries = new Map<EventHandlerBinding, EventTypeRegistry>();

  constructor(
    private readonly bindings: readonly HandlerBinding[],
    /** Every event type the platform defines. */
    private readonly catalog: EventTypeRegistry,
  ) {
    for (const binding of bindings) {
      if (binding.kind === 'event') this.registries.set(binding, new EventTypeRegistry().register(...binding.types));
    }
  }

  plan(record: ConsumedRecord): DeliveryPlan {
    const raw = this.bindings.find((b): b is RawHandlerBinding => b.kind === 'raw' && topicMatches(b.topic, record.topic));
    if (raw) return { kind: 'raw', binding: raw, dedupeId: rawDedupeId(record) };
    const typeName = eventTypeOf(record);
    for (const [binding, registry] of this.registries) {
      if (binding.topic === record.topic && typeName && registry.has(typeName)) return { kind: 'event', binding, registry };
    }
    return { kind: 'validate-only', registry: this.catalog };
  }
}

/** A raw record has no id of its own; its place in the log is unique and stable across redelivery. */
export function rawDedupeId(record: Pick<ConsumedRecord, 'topic' | 'partition' | 'offset'>): string {
  return `${record.topic}/${record.partition}/${record.offset}`;
}
