import { randomUUID } from 'node:crypto';
import {
  ALL_EVENT_TYPES,
  encodeEvent,
  type EventEnvelope,
  EventTypeRegistry,
  RunCompletedEvent,
  Topics,
  trainerV1,
} from '@flywheel/contracts';
import { type EntityManager } from 'typeorm';
import { NO_METRICS } from '../metrics/messaging-metrics';
import { currentCausationId } from '../trace/causation';
import { AsyncLocalTraceContext } from '../trace/trace-context';
import { type ConsumedRecord } from './consumed-record';
import { type DeadLetter, DeadLetterHeaders } from './dead-letter';
import { DeliveryPlanner } from './delivery-plan';
import { type EventHandlerBinding } from './handler-binding';
import { MessageProcessor, type ProcessControl } from './message-processor';
import { NonRetriableError, type RetryPolicy } from './retry-policy';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
const fastRetry: RetryPolicy = { maxAttempts: 3, backoff: { baseDelayMs: 1, factor: 2, maxDelayMs: 5, jitter: 0 } };
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Ports of one processor: a transaction fake whose claims commit only with the transaction. */
function harness(handle: EventHandlerBinding['handle'], options: { deadLetterFailures?: number } = {}) {
  const claimed = new Set<string>();
  const parked: Array<{ topic: string; letter: DeadLetter }> = [];
  let deadLetterFailures = options.deadLetterFailures ?? 0;
  const traceContext = new AsyncLocalTraceContext();
  const binding: EventHandlerBinding = {
    kind: 'event',
    name: 'Test.handle',
    topic: Topics.trainerEvents,
    types: [RunCompletedEvent],
    handle,
  };
  const processor = new MessageProcessor(
    'registry',
    new DeliveryPlanner([binding], new EventTypeRegistry().register(...ALL_EVENT_TYPES)),
    fastRetry,
    {
      async transaction(work) {
        const pending = new Set<string>();
        const manager = { pending } as unknown as EntityManager;
        const result = await work(manager);
        for (const id of pending) claimed.add(id);
        return result;
      },
      async claim(manager, consumer, eventId) {
        const key = `${consumer}/${eventId}`;
        if (claimed.has(key)) return false;
        (manager as unknown as { pending: Set<string> }).pending.add(key);
        return true;
      },
      async deadLetter(topic, letter) {
        if (deadLetterFailures-- > 0) throw new Error('dlq unavailable');
        parked.push({ topic, letter });
      },
      traceContext,
      metrics: NO_METRICS,
      logger: silent,
      clock: () => new Date('2026-01-01T00:00:00Z'),
    },
  );
  return { processor, parked, traceContext };
}

function runCompletedRecord(offset = '0', id = randomUUID()): ConsumedRecord {
  const encoded = encodeEvent(RunCompletedEvent, {
    id,
    source: 'flywheel/trainer',
    time: new Date(),
    key: 'run-1',
    causationId: null,
    traceparent: TRACEPARENT,
    data: trainerV1.RunCompleted.fromPartial({ runId: 'run-1', modelName: 'fraud' }),
  });
  return { topic: Topics.trainerEvents, partition: 0, offset, timestamp: '0', ...encoded, rawHeaders: encoded.headers };
}

const control = (): ProcessControl => ({ heartbeat: async () => undefined, signal: new AbortController().signal });

describe('MessageProcessor', () => {
  it('applies an event once; the same event again is a duplicate', async () => {
    const seen: EventEnvelope[] = [];
    const { processor } = harness(async (event) => void seen.push(event));
    const record = runCompletedRecord();
    expect(await processor.process(record, control())).toBe('applied');
    expect(await processor.process({ ...record, offset: '1' }, control())).toBe('duplicate');
    expect(seen).toHaveLength(1);
    expect(seen[0].data).toMatchObject({ runId: 'run-1' });
  });

  it('runs the handler in the event’s trace context and as the cause of what it publishes', async () => {
    let trace: string | null = null;
    let cause: string | null = null;
    const { processor, traceContext } = harness(async () => {
      trace = traceContext.current();
      cause = currentCausationId();
    });
    const id = randomUUID();
    await processor.process(runCompletedRecord('0', id), control());
    expect(trace).toBe(TRACEPARENT);
    expect(cause).toBe(id);
  });

  it('retries a failing handler and applies it once it succeeds', async () => {
    let calls = 0;
    const { processor, parked } = harness(async () => {
      if (++calls < 3) throw new Error('deadlock detected');
    });
    expect(await processor.process(runCompletedRecord(), control())).toBe('applied');
    expect(calls).toBe(3);
    expect(parked).toEqual([]);
  });

  it('parks a handler that keeps failing after the configured attempts', async () => {
    let calls = 0;
    const { processor, parked } = harness(async () => {
      calls++;
      throw new Error('registry unreachable');
    });
    expect(await processor.process(runCompletedRecord('17'), control())).toBe('dead-lettered');
    expect(calls).toBe(3);
    expect(parked).toHaveLength(1);
    expect(parked[0].topic).toBe(Topics.trainerEvents);
    expect(parked[0].letter.headers).toMatchObject({
      [DeadLetterHeaders.attempts]: '3',
      [DeadLetterHeaders.error]: 'registry unreachable',
      [DeadLetterHeaders.originalOffset]: '17',
      [DeadLetterHeaders.consumer]: 'registry',
    });
  });

  it('parks a non-retriable failure at once', async () => {
    let calls = 0;
    const { processor, parked } = harness(async () => {
      calls++;
      throw new NonRetriableError('model name not allowed');
    });
    expect(await processor.process(runCompletedRecord(), control())).toBe('dead-lettered');
    expect(calls).toBe(1);
    expect(parked[0].letter.headers[DeadLetterHeaders.errorClass]).toBe('NonRetriableError');
  });

  it('parks a poison record without calling the handler', async () => {
    let calls = 0;
    const { processor, parked } = harness(async () => void calls++);
    const good = runCompletedRecord();
    const { ce_type: _type, ...noType } = good.headers;
    expect(await processor.process({ ...good, headers: noType, rawHeaders: noType }, control())).toBe('dead-lettered');
    expect(await processor.process({ ...good, value: Buffer.from([0xff, 0xff, 0xff]) }, control())).toBe('dead-lettered');
    expect(calls).toBe(0);
    expect(parked.map((p) => p.letter.headers[DeadLetterHeaders.error])).toEqual([
      'ce_type: header is missing',
      expect.stringMatching(/^value: not a valid flywheel\.trainer\.v1\.RunCompleted/),
    ]);
  });

  it('keeps trying to park while the dead-letter topic is unavailable', async () => {
    const { processor, parked } = harness(
      async () => {
        throw new NonRetriableError('bad');
      },
      { deadLetterFailures: 1 },
    );
    // The dead-letter backoff starts at ~500 ms; the heartbeat slices keep the group alive meanwhile.
    let heartbeats = 0;
    const result = await processor.process(runCompletedRecord(), {
      heartbeat: async () => void heartbeats++,
      signal: new AbortController().signal,
    });
    expect(result).toBe('dead-lettered');
    expect(parked).toHaveLength(1);
    expect(heartbeats).toBeGreaterThan(0);
  });

  it('leaves the record for redelivery when the consumer stops during a backoff', async () => {
    const stop = new AbortController();
    const { processor, parked } = harness(async () => {
      stop.abort();
      throw new Error('transient');
    });
    expect(await processor.process(runCompletedRecord(), { heartbeat: async () => undefined, signal: stop.signal })).toBe('interrupted');
    expect(parked).toEqual([]);
  });
});
