import { SetMetadata } from '@nestjs/common';
import { type EventEnvelope, type EventType } from '@flywheel/contracts';
import { type EntityManager } from 'typeorm';
import { type ConsumedRecord } from './consumed-record';
import { type RetryPolicy } from './retry-policy';

export const CONSUME_METADATA = 'flywheel:messaging:consume';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any event type, whatever its payload
type AnyEventType = EventType<any>;
type DataOf<E> = E extends EventType<infer T> ? T : never;

export interface ConsumeEventOptions<Types extends readonly AnyEventType[]> {
  topic: string;
  /** The types this method handles; other valid events on the topic are acknowledged unhandled. */
  types: Types;
  /** The consumer group, also the consumer's name in processed_events and dead letters. */
  group: string;
  /**
   * `share` (default): the replicas of the service split the topic's partitions, and each event
   * is handled once. `each`: every replica handles every event, for what a process holds in its
   * own memory (caches, live statistics); its group is `<group>.<FLYWHEEL_INSTANCE_ID>` (see
   * {@link replicaGroup}), and a new one starts at the topic's end, as the memory starts empty.
   */
  replicas?: 'share' | 'each';
  retry?: Partial<RetryPolicy>;
}

/** The group of one replica of a `replicas: 'each'` handler: `deployer.feedback` → `deployer.feedback.2`. */
export function replicaGroup(group: string, instance: string): string {
  return `${group}.${instance}`;
}

export interface ConsumeRawOptions {
  /** A topic, or a pattern such as INGEST_TOPIC_PATTERN (matched against topics existing at start). */
  topic: string | RegExp;
  group: string;
  retry?: Partial<RetryPolicy>;
}

export interface ConsumeEventBatchOptions<Types extends readonly AnyEventType[]> extends ConsumeEventOptions<Types> {
  /** Most events handed to one call (a larger fetch is applied in slices); default 500. */
  maxBatch?: number;
  /**
   * Larger batches for a busy topic: a fetch waits until `minBytes` are there, or `maxWaitMs` has
   * passed (default: the consumers' long-poll, 5 s, so an idle topic costs no more than another),
   * then takes what there is. Unset, a fetch answers as soon as anything is there.
   */
  fetch?: { minBytes: number; maxWaitMs?: number };
}

export type ConsumeMetadata =
  | ({ kind: 'event' } & ConsumeEventOptions<readonly AnyEventType[]>)
  | ({ kind: 'event-batch' } & ConsumeEventBatchOptions<readonly AnyEventType[]>)
  | ({ kind: 'raw' } & ConsumeRawOptions);

type Handler<A> = (arg: A, manager: EntityManager) => Promise<void>;

/**
 * Marks a provider method as the handler of enveloped events. It runs once per event (dedupe by
 * `ce_id`), inside a transaction whose `manager` it must use for all its writes, and inside the
 * event's trace context; failures are retried, then parked in `<topic>.dlq`.
 */
export function ConsumeEvent<const Types extends readonly AnyEventType[]>(options: ConsumeEventOptions<Types>) {
  return (target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<Handler<EventEnvelope<DataOf<Types[number]>>>>) => {
    SetMetadata<string, ConsumeMetadata>(CONSUME_METADATA, { kind: 'event', ...options })(target, key, descriptor);
  };
}

/**
 * Marks a provider method as the handler of enveloped events in batches, for topics where a
 * transaction per event cannot keep up (the prediction log). It gets the new events of a fetch
 * (each decoded and validated, those applied before left out) in offset order, in one
 * transaction whose `manager` it must use for all its writes. The method must be the only
 * handler of its group. A batch that fails is retried; when it keeps failing (or the handler
 * refuses an event with NonRetriableError) its records are applied one by one, so only the
 * failing one is parked in `<topic>.dlq`.
 */
export function ConsumeEventBatch<const Types extends readonly AnyEventType[]>(options: ConsumeEventBatchOptions<Types>) {
  return (
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<Handler<ReadonlyArray<EventEnvelope<DataOf<Types[number]>>>>>,
  ) => {
    SetMetadata<string, ConsumeMetadata>(CONSUME_METADATA, { kind: 'event-batch', ...options })(target, key, descriptor);
  };
}

/**
 * Marks a provider method as the handler of raw records (no envelope, e.g. JSON on
 * `flywheel.ingest.<dataset>`), with the same transaction, dedupe (by topic/partition/offset),
 * retries and dead-lettering as {@link ConsumeEvent}.
 */
export function ConsumeRaw(options: ConsumeRawOptions) {
  return (target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<Handler<ConsumedRecord>>) => {
    SetMetadata<string, ConsumeMetadata>(CONSUME_METADATA, { kind: 'raw', ...options })(target, key, descriptor);
  };
}
