/**
 * The Kafka envelope of every Flywheel event and command: the value is the protobuf encoding of
 * the message, the key is the aggregate id (so one entity's events stay in order on one
 * partition), and the metadata travels in headers following the CloudEvents Kafka protocol
 * binding in binary content mode, so any CloudEvents-aware tool can read it without our code.
 */

/** A protobuf message type that can travel as an event: its full name and its codec. */
export interface EventType<T> {
  /** Full protobuf message name, e.g. `flywheel.registry.v1.ModelVersionRegistered`; the `ce_type` header. */
  readonly typeName: string;
  encode(message: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export interface EventEnvelope<T = unknown> {
  /** Unique per event (a uuid); consumers dedupe on it. `ce_id`. */
  id: string;
  /** The producing service, `flywheel/<service>`. `ce_source`. */
  source: string;
  /** Full protobuf message name of `data`. `ce_type`. */
  type: string;
  /** When the fact happened (millisecond precision on the wire). `ce_time`. */
  time: Date;
  /** Aggregate id: the Kafka key. */
  key: string;
  /** Id of the event that caused this one; null for a root (e.g. an API call). `ce_causationid`. */
  causationId: string | null;
  /** W3C trace context of the work that produced the event. `traceparent`. */
  traceparent: string | null;
  data: T;
}

/** A Kafka record as our messaging layer hands it over: header values already decoded as UTF-8. */
export interface KafkaRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Header names (CloudEvents Kafka binary binding, plus W3C trace context). */
export const EventHeaders = {
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  specVersion: 'ce_specversion',
  contentType: 'content-type',
  causationId: 'ce_causationid',
  traceparent: 'traceparent',
} as const;

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const PROTOBUF_CONTENT_TYPE = 'application/protobuf';
// Older producers label protobuf with the pre-RFC 9110 name; both mean the same bytes.
const ACCEPTED_CONTENT_TYPES = new Set([PROTOBUF_CONTENT_TYPE, 'application/x-protobuf']);

/** An RFC 3339 instant, as CloudEvents' `time` and Flywheel's JSON write them. */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const TYPE_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.[A-Z][A-Za-z0-9]*$/;

/** Why a record could not be read as an event. */
export type EventDecodeErrorReason =
  'missing-header' | 'invalid-header' | 'unknown-type' | 'missing-key' | 'missing-value' | 'invalid-payload';

/**
 * A record that is not a readable event. `field` names the culprit (a header name, `key` or
 * `value`) so the dead-letter entry tells an operator exactly what to fix.
 */
export class EventDecodeError extends Error {
  constructor(
    readonly reason: EventDecodeErrorReason,
    readonly field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${detail}`, options);
    this.name = 'EventDecodeError';
  }
}

/** An envelope that cannot be written (a bug in the producer, never a runtime condition). */
export class EventEncodeError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'EventEncodeError';
  }
}

/**
 * What ts-proto generates for a message (with `outputEncodeMethods=true` and
 * `outputTypeAnnotations=static-only`, which adds the full message name as `$type`).
 */
export interface MessageCodec<T> {
  readonly $type: string;
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** Wraps a generated message codec as an event type named by its full protobuf name. */
export function eventType<T>(codec: MessageCodec<T>): EventType<T> {
  const typeName = codec.$type;
  if (!TYPE_NAME.test(typeName)) {
    throw new TypeError(`typeName: not a full protobuf message name: ${JSON.stringify(typeName)}`);
  }
  return Object.freeze({
    typeName,
    encode: (message: T) => codec.encode(message).finish(),
    decode: (bytes: Uint8Array) => codec.decode(bytes),
  });
}

/** The event types a consumer understands, by `ce_type`. */
export class EventTypeRegistry {
  private readonly types = new Map<string, EventType<unknown>>();

  register(...types: EventType<unknown>[]): this {
    for (const type of types) {
      const existing = this.types.get(type.typeName);
      if (existing && existing !== type) {
        throw new Error(`event type ${type.typeName} is already registered with another codec`);
      }
      this.types.set(type.typeName, type);
    }
    return this;
  }

  get(typeName: string): EventType<unknown> | undefined {
    return this.types.get(typeName);
  }

  has(typeName: string): boolean {
    return this.types.has(typeName);
  }

  /** Registered names, sorted (for error messages and diagnostics). */
  typeNames(): string[] {
    return [...this.types.keys()].sort();
  }
}

export function encodeEvent<T>(type: EventType<T>, envelope: Omit<EventEnvelope<T>, 'type'>): KafkaRecord {
  requireText('id', envelope.id);
  requireText('source', envelope.source);
  requireText('key', envelope.key);
  if (!(envelope.time instanceof Date) || Number.isNaN(envelope.time.getTime())) {
    throw new EventEncodeError('time', 'must be a valid Date');
  }
  if (envelope.causationId !== null && envelope.causationId.length === 0) {
    throw new EventEncodeError('causationId', 'must be null for a root event, not empty');
  }
  if (envelope.traceparent !== null && !TRACEPARENT.test(envelope.traceparent)) {
    throw new EventEncodeError('traceparent', `not a W3C traceparent: ${JSON.stringify(envelope.traceparent)}`);
  }
  const headers: Record<string, string> = {
    [EventHeaders.id]: envelope.id,
    [EventHeaders.source]: envelope.source,
    [EventHeaders.type]: type.typeName,
    [EventHeaders.time]: envelope.time.toISOString(),
    [EventHeaders.specVersion]: CLOUDEVENTS_SPEC_VERSION,
    [EventHeaders.contentType]: PROTOBUF_CONTENT_TYPE,
    // Always present, empty for a root, so every event carries the same set of headers.
    [EventHeaders.causationId]: envelope.causationId ?? '',
  };
  if (envelope.traceparent !== null) {
    headers[EventHeaders.traceparent] = envelope.traceparent;
  }
  const bytes = type.encode(envelope.data);
  return {
    key: Buffer.from(envelope.key, 'utf8'),
    value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    headers,
  };
}

/** Reads a record written by `encodeEvent`; throws `EventDecodeError` naming what is wrong. */
export function decodeEvent(record: KafkaRecord, types: EventTypeRegistry): EventEnvelope {
  const headers = record.headers ?? {};
  const specVersion = requireHeader(headers, EventHeaders.specVersion);
  if (specVersion !== CLOUDEVENTS_SPEC_VERSION) {
    throw new EventDecodeError(
      'invalid-header',
      EventHeaders.specVersion,
      `expected ${CLOUDEVENTS_SPEC_VERSION}, got ${JSON.stringify(specVersion)}`,
    );
  }
  const contentType = requireHeader(headers, EventHeaders.contentType);
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  if (!ACCEPTED_CONTENT_TYPES.has(mediaType)) {
    throw new EventDecodeError(
      'invalid-header',
      EventHeaders.contentType,
      `expected ${PROTOBUF_CONTENT_TYPE}, got ${JSON.stringify(contentType)}`,
    );
  }
  const typeName = requireHeader(headers, EventHeaders.type);
  const type = types.get(typeName);
  if (!type) {
    const known = types.typeNames();
    throw new EventDecodeError(
      'unknown-type',
      EventHeaders.type,
      `unknown event type ${JSON.stringify(typeName)}; this consumer reads ${known.length ? known.join(', ') : 'no types'}`,
    );
  }
  const id = requireHeader(headers, EventHeaders.id);
  const source = requireHeader(headers, EventHeaders.source);
  const timeText = requireHeader(headers, EventHeaders.time);
  const time = new Date(timeText);
  if (!RFC3339.test(timeText) || Number.isNaN(time.getTime())) {
    throw new EventDecodeError('invalid-header', EventHeaders.time, `not an RFC 3339 time: ${JSON.stringify(timeText)}`);
  }
  if (!record.key || record.key.length === 0) {
    throw new EventDecodeError('missing-key', 'key', `a ${typeName} must be keyed by its aggregate id`);
  }
  if (!record.value) {
    throw new EventDecodeError('missing-value', 'value', `a ${typeName} record has no value (tombstone?)`);
  }
  let data: unknown;
  try {
    data = type.decode(new Uint8Array(record.value.buffer, record.value.byteOffset, record.value.byteLength));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new EventDecodeError('invalid-payload', 'value', `not a valid ${typeName}: ${why}`, { cause: error });
  }
  const causationId = headers[EventHeaders.causationId];
  const traceparent = headers[EventHeaders.traceparent];
  return {
    id,
    source,
    type: typeName,
    time,
    key: record.key.toString('utf8'),
    causationId: causationId ? causationId : null,
    // An unusable trace context is dropped, not fatal: W3C says to start a new trace instead.
    traceparent: traceparent && TRACEPARENT.test(traceparent) ? traceparent : null,
    data,
  };
}

function requireHeader(headers: Record<string, string>, name: string): string {
  const value = headers[name];
  if (value === undefined || value === null) {
    throw new EventDecodeError('missing-header', name, 'header is missing');
  }
  if (value.length === 0) {
    throw new EventDecodeError('missing-header', name, 'header is empty');
  }
  return value;
}

function requireText(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new EventEncodeError(field, 'must be a non-empty string');
  }
}
