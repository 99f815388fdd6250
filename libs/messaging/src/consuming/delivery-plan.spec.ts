import { EventTypeRegistry, INGEST_TOPIC_PATTERN, RunCompletedEvent, RunFailedEvent, ALL_EVENT_TYPES, Topics } from '@flywheel/contracts';
import { type ConsumedRecord } from './consumed-record';
import { DeliveryPlanner, rawDedupeId } from './delivery-plan';
import { checkBindings, type EventBatchHandlerBinding, type EventHandlerBinding, type RawHandlerBinding } from './handler-binding';

const handle = async () => undefined;
const onRunCompleted: EventHandlerBinding = {
  kind: 'event',
  name: 'Registry.onRunCompleted',
  topic: Topics.trainerEvents,
  types: [RunCompletedEvent],
  handle,
};
const onIngest: RawHandlerBinding = { kind: 'raw', name: 'Ingestion.onRecord', topic: INGEST_TOPIC_PATTERN, handle };
const catalog = new EventTypeRegistry().register(...ALL_EVENT_TYPES);

function record(topic: string, headers: Record<string, string>, offset = '7'): ConsumedRecord {
  return { topic, partition: 1, offset, timestamp: '0', key: null, value: null, headers, rawHeaders: headers };
}

describe('DeliveryPlanner', () => {
  const planner = new DeliveryPlanner([onRunCompleted, onIngest], catalog);

  it('sends a handled type to its handler, decoding with that handler’s types only', () => {
    const plan = planner.plan(record(Topics.trainerEvents, { ce_type: RunCompletedEvent.typeName }));
    expect(plan.kind).toBe('event');
    if (plan.kind !== 'event') return;
    expect(plan.binding).toBe(onRunCompleted);
    expect(plan.registry.typeNames()).toEqual([RunCompletedEvent.typeName]);
  });

  it('validates, without handling, another event of the topic, and treats unknown or absent types the same way', () => {
    const cases: Array<Record<string, string>> = [{ ce_type: RunFailedEvent.typeName }, { ce_type: 'flywheel.trainer.v1.Nope' }, {}];
    for (const headers of cases) {
      const plan = planner.plan(record(Topics.trainerEvents, headers));
      expect(plan).toEqual({ kind: 'validate-only', registry: catalog });
    }
  });

  it('dedupes a raw record by its place in the log', () => {
    const plan = planner.plan(record('flywheel.ingest.claims', {}, '12'));
    expect(plan).toEqual({ kind: 'raw', binding: onIngest, dedupeId: 'flywheel.ingest.claims/1/12' });
    expect(rawDedupeId({ topic: 'flywheel.ingest.claims', partition: 1, offset: '12' })).not.toBe(
      rawDedupeId({ topic: 'flywheel.ingest.claims', partition: 2, offset: '12' }),
    );
  });
});

describe('checkBindings', () => {
  it('refuses two handlers of one type on one topic in one group', () => {
    expect(() => checkBindings('registry', [onRunCompleted, { ...onRunCompleted, name: 'Other.handler' }])).toThrow(
      /RunCompleted on flywheel.trainer.events is handled by both Registry.onRunCompleted and Other.handler/,
    );
  });

  it('refuses raw and event handlers of the same topic, and empty declarations', () => {
    expect(() => checkBindings('g', [onRunCompleted, { ...onIngest, topic: Topics.trainerEvents }])).toThrow(/both a raw handler/);
    expect(() => checkBindings('g', [{ ...onRunCompleted, types: [] }])).toThrow(/declares no event types/);
    expect(() => checkBindings('g', [])).toThrow(/no handlers/);
  });

  it('refuses a batch handler that is not alone in its group', () => {
    const onRuns: EventBatchHandlerBinding = { ...onRunCompleted, kind: 'event-batch', name: 'Registry.onRuns', handle, maxBatch: 100 };
    expect(() => checkBindings('registry', [onRuns, onIngest])).toThrow(
      /Registry.onRuns handles batches and must be the group's only handler/,
    );
    expect(() => checkBindings('registry', [{ ...onRuns, types: [] }])).toThrow(/declares no event types/);
    expect(() => checkBindings('registry', [onRuns])).not.toThrow();
  });

  it('accepts one handler per type and topic', () => {
    expect(() =>
      checkBindings('registry', [onRunCompleted, { ...onRunCompleted, name: 'Registry.onRunFailed', types: [RunFailedEvent] }, onIngest]),
    ).not.toThrow();
  });
});
