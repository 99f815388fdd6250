import { type EventEnvelope, type EventType } from '@flywheel/contracts';
import { type EntityManager } from 'typeorm';
import { type ConsumedRecord } from './consumed-record';
import { type RetryPolicy } from './retry-policy';

export type EventHandler = (event: EventEnvelope<never>, manager: EntityManager) => Promise<void>;
export type RawHandler = (record: ConsumedRecord, manager: EntityManager) => Promise<void>;
export type EventBatchHandler = (events: ReadonlyArray<EventEnvelope<never>>, manager: EntityManager) => Promise<void>;

/** A handler of enveloped events of the given types on a topic. */
export interface EventHandlerBinding {
  kind: 'event';
  /** For logs: `Class.method`. */
  name: string;
  topic: string;
  types: ReadonlyArray<EventType<unknown>>;
  handle: EventHandler;
  retry?: Partial<RetryPolicy>;
}

/** A handler of raw records (no envelope) on a topic or on every topic matching a pattern. */
export interface RawHandlerBinding {
  kind: 'raw';
  name: string;
  topic: string | RegExp;
  handle: RawHandler;
  retry?: Partial<RetryPolicy>;
}

/** A handler of enveloped events of the given types on a topic, a batch at a time; alone in its group. */
export interface EventBatchHandlerBinding {
  kind: 'event-batch';
  name: string;
  topic: string;
  types: ReadonlyArray<EventType<unknown>>;
  handle: EventBatchHandler;
  retry?: Partial<RetryPolicy>;
  maxBatch: number;
  fetch?: { minBytes: number; maxWaitMs?: number };
}

export type HandlerBinding = EventHandlerBinding | RawHandlerBinding | EventBatchHandlerBinding;

export function topicMatches(pattern: string | RegExp, topic: string): boolean {
  return typeof pattern === 'string' ? pattern === topic : new RegExp(pattern.source, pattern.flags.replace('g', '')).test(topic);
}

/**
 * Refuses, at boot, bindings of one group that would make a record's handler ambiguous: two
 * handlers of one type on one topic, or raw and enveloped handlers of one topic. Each group
 * records its own processed events, so one handler per record is what makes dedupe exact.
 */
export function checkBindings(group: string, bindings: readonly HandlerBinding[]): void {
  if (bindings.length === 0) throw new Error(`consumer group ${group}: no handlers`);
  const batch = bindings.find((b) => b.kind === 'event-batch');
  if (batch && bindings.length > 1) {
    throw new Error(`consumer group ${group}: ${batch.name} handles batches and must be the group's only handler`);
  }
  if (batch && batch.types.length === 0) throw new Error(`consumer group ${group}: ${batch.name} declares no event types`);
  const owner = new Map<string, string>();
  const rawTopics = new Set<string>();
  const eventTopics = new Set<string>();
  for (const binding of bindings) {
    if (binding.kind === 'event-batch') continue;
    if (binding.kind === 'raw') {
      const topic = String(binding.topic);
      if (rawTopics.has(topic)) throw new Error(`consumer group ${group}: two raw handlers of ${topic}`);
      rawTopics.add(topic);
      continue;
    }
    if (binding.types.length === 0) throw new Error(`consumer group ${group}: ${binding.name} declares no event types`);
    eventTopics.add(binding.topic);
    for (const type of binding.types) {
      const slot = `${binding.topic} ${type.typeName}`;
      const previous = owner.get(slot);
      if (previous)
        throw new Error(`consumer group ${group}: ${type.typeName} on ${binding.topic} is handled by both ${previous} and ${binding.name}`);
      owner.set(slot, binding.name);
    }
  }
  for (const binding of bindings) {
    if (binding.kind !== 'raw') continue;
    const clash = [...eventTopics].find((topic) => topicMatches(binding.topic, topic));
    if (clash) throw new Error(`consumer group ${group}: ${clash} has both a raw handler (${binding.name}) and event handlers`);
  }
}
