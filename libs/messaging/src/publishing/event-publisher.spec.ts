import { decodeEvent, EventTypeRegistry, RunCompletedEvent, Topics, trainerV1 } from '@flywheel/contracts';
import { type EntityManager } from 'typeorm';
import { runAsConsequenceOf } from '../trace/causation';
import { AsyncLocalTraceContext, traceIdOf } from '../trace/trace-context';
import { EventPublisher } from './event-publisher';

/** A manager that records the outbox INSERT instead of running it (outside a transaction). */
function recordingManager() {
  const inserts: unknown[][] = [];
  const manager = {
    queryRunner: undefined,
    dataSource: {},
    query: async (_sql: string, params: unknown[]) => {
      inserts.push(params);
      return [{ id: '1' }];
    },
  } as unknown as EntityManager;
  return { manager, inserts };
}

describe('EventPublisher', () => {
  const traceContext = new AsyncLocalTraceContext();
  const publisher = new EventPublisher({ service: 'trainer', traceContext, clock: () => new Date('2026-03-01T10:00:00.000Z') });
  const data = trainerV1.RunCompleted.fromPartial({ runId: 'run-7', modelName: 'fraud' });

  it('appends an enveloped record to the outbox on the type’s topic', async () => {
    const { manager, inserts } = recordingManager();
    const envelope = await publisher.publish(manager, RunCompletedEvent, data, { key: 'run-7' });
    expect(inserts).toHaveLength(1);
    const [topic, key, value, headers] = inserts[0] as [string, Buffer, Buffer, string];
    expect(topic).toBe(Topics.trainerEvents);
    const decoded = decodeEvent({ key, value, headers: JSON.parse(headers) }, new EventTypeRegistry().register(RunCompletedEvent));
    expect(decoded).toEqual({ ...envelope, type: 'flywheel.trainer.v1.RunCompleted' });
    expect(decoded).toMatchObject({
      source: 'flywheel/trainer',
      key: 'run-7',
      causationId: null,
      time: new Date('2026-03-01T10:00:00.000Z'),
    });
  });

  it('names the event being handled as the cause, and continues its trace', async () => {
    const { manager } = recordingManager();
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const envelope = await traceContext.run(incoming, () =>
      runAsConsequenceOf('3f1c0d6e-0000-4000-8000-000000000001', () =>
        publisher.publish(manager, RunCompletedEvent, data, { key: 'run-7' }),
      ),
    );
    expect(envelope.causationId).toBe('3f1c0d6e-0000-4000-8000-000000000001');
    expect(traceIdOf(envelope.traceparent)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(envelope.traceparent).not.toBe(incoming);
  });

  it('lets the caller override topic, cause and trace', async () => {
    const { manager, inserts } = recordingManager();
    const envelope = await runAsConsequenceOf('some-cause', () =>
      publisher.publish(manager, RunCompletedEvent, data, {
        key: 'run-7',
        topic: 'flywheel.trainer.replay',
        causationId: null,
        traceparent: null,
      }),
    );
    expect(inserts[0][0]).toBe('flywheel.trainer.replay');
    expect(envelope).toMatchObject({ causationId: null, traceparent: null });
  });
});
