/**
 * Topics where producers without Flywheel code may write plain JSON, as raw data goes to the
 * ingest topics, instead of an enveloped protobuf event: `{"request_id": "r-1", "label": true}` on
 * `flywheel.feedback`. A record without CloudEvents headers on such a topic is read as that
 * topic's event type; consumers see one kind of event whichever way it came.
 */
import { createHash } from 'node:crypto';
import {
  decodeEvent,
  EventDecodeError,
  type EventEnvelope,
  EventHeaders,
  type EventType,
  type EventTypeRegistry,
  type KafkaRecord,
  RFC3339,
} from './envelope';
import { FeedbackEvent } from './events';
import { feedbackProblem } from './feedback';
import { type Value } from './generated/flywheel/common/v1/common';
import { type Feedback } from './generated/flywheel/monitor/v1/monitor';
import { Topics } from './topics';

/** Largest plain JSON record read; one label is a few hundred bytes. */
export const MAX_PLAIN_JSON_BYTES = 64 * 1024;

/** A consumed record with where it was read from: a plain record's event id is its position. */
export interface PositionedRecord extends KafkaRecord {
  topic: string;
  partition?: number;
  offset?: string;
}

interface PlainJsonTopic<T> {
  readonly type: EventType<T>;
  /** The event's data from the parsed JSON; a problem is `field: reason`. */
  read(json: unknown, now: Date): T | { problem: string };
  key(data: T): string;
  time(data: T, now: Date): Date;
}

const FEEDBACK_FIELDS = new Set(['request_id', 'label', 'label_time']);

const feedbackTopic: PlainJsonTopic<Feedback> = {
  type: FeedbackEvent,
  read(json, now) {
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      return { problem: 'value: must be a JSON object {"request_id": …, "label": …[, "label_time": …]}' };
    const fields = json as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !FEEDBACK_FIELDS.has(k));
    if (unknown.length > 0) return { problem: `${unknown[0]}: unknown field; the fields are request_id, label, label_time` };
    if (typeof fields.request_id !== 'string') return { problem: 'request_id: is required, a string' };
    const label = valueOf(fields.label);
    if (label === undefined) return { problem: 'label: is required: a number, a text or a boolean' };
    let labelTime: Date | undefined;
    if (fields.label_time !== undefined) {
      if (typeof fields.label_time !== 'string' || !RFC3339.test(fields.label_time))
        return { problem: 'label_time: must be an RFC 3339 time, e.g. 2026-12-01T10:00:00Z' };
      labelTime = new Date(fields.label_time);
    }
    const feedback: Feedback = { requestId: fields.request_id, label, labelTime };
    const problem = feedbackProblem(feedback, now);
    return problem ? { problem } : { ...feedback, labelTime: labelTime ?? now };
  },
  key: (data) => data.requestId,
  time: (data, now) => data.labelTime ?? now,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each topic its own event type
const PLAIN_JSON_TOPICS: ReadonlyMap<string, PlainJsonTopic<any>> = new Map([[Topics.feedback, feedbackTopic]]);

function valueOf(json: unknown): Value | undefined {
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  return undefined;
}

/** The event type a record is, whether enveloped (its `ce_type`) or plain JSON on a plain-JSON topic; undefined when neither says. */
export function eventTypeOf(record: PositionedRecord): string | undefined {
  return record.headers[EventHeaders.type] ?? (isPlain(record) ? PLAIN_JSON_TOPICS.get(record.topic)!.type.typeName : undefined);
}

const isPlain = (record: PositionedRecord) => record.headers[EventHeaders.specVersion] === undefined && PLAIN_JSON_TOPICS.has(record.topic);

/**
 * A consumed record as an event: enveloped ones as {@link decodeEvent} reads them; plain JSON on a
 * plain-JSON topic checked and wrapped, its id the record's position (`<topic>/<partition>/<offset>`,
 * so a redelivery is the same event) or, without one, the hash of its bytes.
 */
export function decodeConsumedEvent(record: PositionedRecord, types: EventTypeRegistry, now = new Date()): EventEnvelope {
  if (!isPlain(record)) return decodeEvent(record, types);
  const plain = PLAIN_JSON_TOPICS.get(record.topic)!;
  if (!types.has(plain.type.typeName))
    throw new EventDecodeError(
      'unknown-type',
      EventHeaders.type,
      `plain JSON on ${record.topic} is a ${plain.type.typeName}, which this consumer does not read`,
    );
  const bytes = record.value;
  if (!bytes || bytes.length === 0) throw new EventDecodeError('missing-value', 'value', 'the record has no value');
  if (bytes.length > MAX_PLAIN_JSON_BYTES)
    throw new EventDecodeError('invalid-payload', 'value', `plain JSON of ${bytes.length} bytes; at most ${MAX_PLAIN_JSON_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new EventDecodeError('invalid-payload', 'value', `not JSON (and no ce_specversion header): ${(error as Error).message}`);
  }
  const data = plain.read(json, now);
  if ('problem' in data) throw new EventDecodeError('invalid-payload', 'value', data.problem);
  const position =
    record.partition !== undefined && record.offset !== undefined
      ? `${record.topic}/${record.partition}/${record.offset}`
      : createHash('sha256').update(bytes).digest('hex');
  return {
    id: `plain:${position}`,
    source: `kafka:${record.topic}`,
    type: plain.type.typeName,
    time: plain.time(data, now),
    key: record.key && record.key.length > 0 ? record.key.toString('utf8') : plain.key(data),
    causationId: null,
    traceparent: null,
    data,
  };
}
