import { decodeEvent, encodeEvent, EventDecodeError, EventTypeRegistry } from './envelope';
import { FeedbackEvent, RunCompletedEvent } from './events';
import { decodeConsumedEvent, eventTypeOf, MAX_PLAIN_JSON_BYTES } from './plain-json-events';
import { Topics } from './topics';

const now = new Date('2026-12-01T12:00:00Z');
const feedbackTypes = new EventTypeRegistry().register(FeedbackEvent);
const plain = (value: string | Buffer, extra: { key?: string; headers?: Record<string, string>; topic?: string } = {}) => ({
  topic: extra.topic ?? Topics.feedback,
  partition: 2,
  offset: '41',
  key: extra.key === undefined ? null : Buffer.from(extra.key),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  headers: extra.headers ?? {},
});
const problem = (value: string | Buffer) => {
  try {
    decodeConsumedEvent(plain(value), feedbackTypes, now);
  } catch (error) {
    if (error instanceof EventDecodeError) return error.message;
    throw error;
  }
  throw new Error('decoded');
};

describe('plain JSON events', () => {
  it('reads feedback as plain JSON on flywheel.feedback, its id the record’s position so a redelivery is the same event', () => {
    const record = plain('{"request_id": "r-1", "label": true, "label_time": "2026-12-01T10:00:00Z"}');
    expect(eventTypeOf(record)).toBe(FeedbackEvent.typeName);
    expect(decodeConsumedEvent(record, feedbackTypes, now)).toEqual({
      id: 'plain:flywheel.feedback/2/41',
      source: 'kafka:flywheel.feedback',
      type: FeedbackEvent.typeName,
      time: new Date('2026-12-01T10:00:00Z'),
      key: 'r-1',
      causationId: null,
      traceparent: null,
      data: { requestId: 'r-1', label: { boolValue: true }, labelTime: new Date('2026-12-01T10:00:00Z') },
    });
    // Numbers and texts keep their type; without a time, the label is known now.
    expect(decodeConsumedEvent(plain('{"request_id": "r-2", "label": 12.5}', { key: 'k' }), feedbackTypes, now)).toMatchObject({
      key: 'k',
      time: now,
      data: { label: { numberValue: 12.5 }, labelTime: now },
    });
    expect(decodeConsumedEvent(plain('{"request_id": "r-3", "label": "churned"}'), feedbackTypes, now).data).toMatchObject({
      label: { stringValue: 'churned' },
    });
  });

  it('reads an enveloped event on the same topic as it always did', () => {
    const encoded = encodeEvent(FeedbackEvent, {
      id: 'e-1',
      source: 'flywheel/deployer',
      time: now,
      key: 'r-9',
      causationId: null,
      traceparent: null,
      data: { requestId: 'r-9', label: { boolValue: false }, labelTime: now },
    });
    const record = { ...encoded, topic: Topics.feedback, partition: 0, offset: '1' };
    expect(eventTypeOf(record)).toBe(FeedbackEvent.typeName);
    expect(decodeConsumedEvent(record, feedbackTypes, now)).toEqual(decodeEvent(record, feedbackTypes));
  });

  it('refuses hostile or wrong plain JSON with the field and the reason', () => {
    expect(problem('{"request_id": "r-1", "label": tru')).toMatch(/^value: not JSON \(and no ce_specversion header\)/);
    expect(problem('[1, 2]')).toMatch(/^value: value: must be a JSON object/);
    expect(problem('{"request_id": "r-1"}')).toBe('value: label: is required: a number, a text or a boolean');
    expect(problem('{"request_id": "r-1", "label": null}')).toBe('value: label: is required: a number, a text or a boolean');
    expect(problem('{"requestId": "r-1", "label": 1}')).toBe(
      'value: requestId: unknown field; the fields are request_id, label, label_time',
    );
    expect(problem('{"request_id": "has space", "label": 1}')).toBe(
      'value: request_id: must be 1 to 128 printable ASCII characters without spaces',
    );
    expect(problem('{"request_id": "r-1", "label": 1, "label_time": "yesterday"}')).toMatch(/^value: label_time: must be an RFC 3339 time/);
    expect(problem('{"request_id": "r-1", "label": 1, "label_time": "2027-01-01T00:00:00Z"}')).toBe(
      'value: label_time: is 2027-01-01T00:00:00.000Z, in the future',
    );
    expect(problem(`{"request_id": "r-1", "label": "${'x'.repeat(2000)}"}`)).toBe(
      'value: label: a text label must be 1 to 1000 characters',
    );
    expect(problem(Buffer.alloc(MAX_PLAIN_JSON_BYTES + 1, 0x20))).toBe(
      `value: plain JSON of ${MAX_PLAIN_JSON_BYTES + 1} bytes; at most ${MAX_PLAIN_JSON_BYTES}`,
    );
    expect(problem('')).toBe('value: the record has no value');
  });

  it('reads plain JSON only where a topic allows it, and only for a consumer of that type', () => {
    const elsewhere = plain('{"request_id": "r-1", "label": 1}', { topic: Topics.registryEvents });
    expect(eventTypeOf(elsewhere)).toBeUndefined();
    expect(() => decodeConsumedEvent(elsewhere, feedbackTypes, now)).toThrow('ce_specversion: header is missing');
    expect(() =>
      decodeConsumedEvent(plain('{"request_id": "r-1", "label": 1}'), new EventTypeRegistry().register(RunCompletedEvent), now),
    ).toThrow(/plain JSON on flywheel.feedback is a flywheel.monitor.v1.Feedback, which this consumer does not read/);
  });
});
