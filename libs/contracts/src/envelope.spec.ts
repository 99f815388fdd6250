import { randomUUID } from 'node:crypto';
import {
  CLOUDEVENTS_SPEC_VERSION,
  EventDecodeError,
  EventEncodeError,
  EventHeaders,
  EventTypeRegistry,
  type EventEnvelope,
  type EventType,
  type KafkaRecord,
  PROTOBUF_CONTENT_TYPE,
  decodeEvent,
  encodeEvent,
  eventType,
} from './envelope';
import { AliasMovedEvent, DatasetVersionCommittedEvent, DriftDetectedEvent, PredictionLoggedEvent, TrainModelCommand } from './events';
import { ConsumedEvents } from './consumed-events';
import { ColumnType, ModelTask } from './generated/flywheel/common/v1/common';
import { DatasetVersionCommitted, CommitTrigger } from './generated/flywheel/ingestion/v1/ingestion';
import { DriftDetected, DriftTest } from './generated/flywheel/monitor/v1/monitor';
import { AliasMoved, AliasMoveCause } from './generated/flywheel/registry/v1/registry';
import { PredictionLogged } from './generated/flywheel/deployer/v1/deployer';
import { RunTrigger, TrainModel } from './generated/flywheel/trainer/v1/trainer';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function envelope<T>(data: T, overrides: Partial<Omit<EventEnvelope<T>, 'type' | 'data'>> = {}) {
  return {
    id: randomUUID(),
    source: 'flywheel/ingestion',
    time: new Date('2025-03-01T12:34:56.789Z'),
    key: 'claims',
    causationId: null,
    traceparent: TRACEPARENT,
    data,
    ...overrides,
  };
}

const committed = DatasetVersionCommitted.create({
  dataset: 'claims',
  version: {
    dataset: 'claims',
    version: 3,
    rowCount: 10_000,
    cumulativeRowCount: 30_000,
    object: {
      key: 'datasets/claims/v3/data.parquet',
      sha256: 'ab'.repeat(32),
      sizeBytes: 123_456,
      contentType: 'application/vnd.apache.parquet',
    },
    profile: {
      rowCount: 10_000,
      columns: [
        {
          name: 'amount',
          type: ColumnType.COLUMN_TYPE_DOUBLE,
          count: 9_990,
          nullCount: 10,
          numeric: { min: 1, max: 9, mean: 4.5, std: 2, quantiles: [1, 9], histogramEdges: [1, 5, 9], histogramCounts: [5_000, 4_990] },
        },
      ],
    },
    eventTimeRange: { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-03-01T12:00:00Z') },
    trigger: CommitTrigger.COMMIT_TRIGGER_MAX_ROWS,
    commitTime: new Date('2025-03-01T12:34:56.789Z'),
  },
  contract: { columns: [{ name: 'amount', type: ColumnType.COLUMN_TYPE_DOUBLE, required: true, min: 0 }], uniqueKey: ['claim_id'] },
});

const drift = DriftDetected.create({
  report: {
    reportId: 'r-1',
    modelName: 'fraud',
    modelVersion: 1,
    features: [
      { feature: 'amount', test: DriftTest.DRIFT_TEST_KS, statistic: 0.41, pValue: 1e-9, threshold: 0.05, drifted: true },
      { feature: 'region', test: DriftTest.DRIFT_TEST_PSI, statistic: 0.02, threshold: 0.2, drifted: false },
    ],
    driftedShare: 0.5,
    driftShareThreshold: 0.5,
    datasetDrift: true,
  },
  driftedFeatures: ['amount'],
  deployment: 'fraud',
});

const moved = AliasMoved.create({
  modelName: 'fraud',
  alias: 'production',
  fromVersion: 1,
  toVersion: 2,
  cause: AliasMoveCause.ALIAS_MOVE_CAUSE_PROMOTION_POLICY,
  reasons: ['roc_auc 0.912 beats 0.874 by 0.038 >= 0.01'],
  comparison: {
    metric: 'roc_auc',
    higherIsBetter: true,
    championValue: 0.874,
    challengerValue: 0.912,
    absoluteImprovement: 0.038,
    relativeImprovement: 0.0435,
  },
  actor: { service: 'registry' },
});

const prediction = PredictionLogged.create({
  requestId: 'req-1',
  deployment: 'fraud',
  modelName: 'fraud',
  modelVersion: 2,
  canary: true,
  task: ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
  inputs: { values: { amount: { numberValue: 12.5 }, region: { stringValue: 'north' }, vip: { boolValue: false }, note: {} } },
  output: { boolValue: true },
  probability: 0.93,
  latencyMs: 1.7,
  predictTime: new Date('2025-03-01T12:34:56.001Z'),
});

const train = TrainModel.create({
  spec: { modelName: 'fraud', featureView: 'claims', label: 'is_fraud', seed: 7 },
  trigger: RunTrigger.RUN_TRIGGER_RETRAINING_POLICY,
  reason: 'drift on amount',
});

describe('encodeEvent / decodeEvent', () => {
  const all = ConsumedEvents.all();

  it.each([
    ['DatasetVersionCommitted', DatasetVersionCommittedEvent, committed, 'claims'],
    ['DriftDetected', DriftDetectedEvent, drift, 'fraud'],
    ['AliasMoved', AliasMovedEvent, moved, 'fraud'],
    ['PredictionLogged', PredictionLoggedEvent, prediction, 'req-1'],
    ['TrainModel', TrainModelCommand, train, 'fraud'],
  ] as [string, EventType<unknown>, unknown, string][])('round-trips %s with exact headers', (name, type, data, key) => {
    const causationId = randomUUID();
    const sent = envelope(data, { key, causationId });
    const record = encodeEvent(type, sent);

    expect(record.key?.toString('utf8')).toBe(key);
    expect(record.headers).toEqual({
      ce_id: sent.id,
      ce_source: 'flywheel/ingestion',
      ce_type: `flywheel.${type.typeName.split('.')[1]}.v1.${name}`,
      ce_time: '2025-03-01T12:34:56.789Z',
      ce_specversion: '1.0',
      'content-type': 'application/protobuf',
      ce_causationid: causationId,
      traceparent: TRACEPARENT,
    });

    const received = decodeEvent(record, all);
    expect(received).toEqual({ ...sent, type: type.typeName });
    expect(received.time.getTime()).toBe(sent.time.getTime());
  });

  it('keeps nested timestamps, optional fields and explicit nulls through the protobuf value', () => {
    const received = decodeEvent(encodeEvent(PredictionLoggedEvent, envelope(prediction, { key: 'req-1' })), all);
    const data = received.data as PredictionLogged;
    expect(data.predictTime?.toISOString()).toBe('2025-03-01T12:34:56.001Z');
    expect(data.probability).toBe(0.93);
    expect(data.inputs?.values.note).toEqual({});
    expect(data.inputs?.values.amount.numberValue).toBe(12.5);
  });

  it('writes an empty causation id for a root and reads it back as null', () => {
    const record = encodeEvent(DriftDetectedEvent, envelope(drift, { key: 'fraud' }));
    expect(record.headers[EventHeaders.causationId]).toBe('');
    expect(decodeEvent(record, all).causationId).toBeNull();
  });

  it('omits traceparent when there is none', () => {
    const record = encodeEvent(DriftDetectedEvent, envelope(drift, { key: 'fraud', traceparent: null }));
    expect(record.headers).not.toHaveProperty('traceparent');
    expect(decodeEvent(record, all).traceparent).toBeNull();
  });

  it('drops an unusable traceparent instead of failing the event', () => {
    const record = encodeEvent(DriftDetectedEvent, envelope(drift, { key: 'fraud' }));
    record.headers.traceparent = 'garbage';
    expect(decodeEvent(record, all).traceparent).toBeNull();
  });

  it('accepts content-type parameters and the legacy protobuf media type', () => {
    const record = encodeEvent(DriftDetectedEvent, envelope(drift, { key: 'fraud' }));
    record.headers['content-type'] = 'application/x-protobuf; proto=flywheel.monitor.v1.DriftDetected';
    expect(decodeEvent(record, all).type).toBe('flywheel.monitor.v1.DriftDetected');
  });

  it('reads a time with an offset', () => {
    const record = encodeEvent(DriftDetectedEvent, envelope(drift, { key: 'fraud' }));
    record.headers.ce_time = '2025-03-01T14:34:56.789+02:00';
    expect(decodeEvent(record, all).time.toISOString()).toBe('2025-03-01T12:34:56.789Z');
  });

  it('exports the CloudEvents constants it writes', () => {
    expect(CLOUDEVENTS_SPEC_VERSION).toBe('1.0');
    expect(PROTOBUF_CONTENT_TYPE).toBe('application/protobuf');
  });
});

describe('decodeEvent errors name the problem', () => {
  const registry = ConsumedEvents.monitor();
  const good = (): KafkaRecord => encodeEvent(PredictionLoggedEvent, envelope(prediction, { key: 'req-1' }));

  function decodeError(record: KafkaRecord, types: EventTypeRegistry = registry): EventDecodeError {
    try {
      decodeEvent(record, types);
    } catch (error) {
      if (error instanceof EventDecodeError) return error;
      throw error;
    }
    throw new Error('decodeEvent accepted the record');
  }

  it.each(['ce_id', 'ce_source', 'ce_type', 'ce_time', 'ce_specversion', 'content-type'])('missing %s', (header) => {
    const record = good();
    delete record.headers[header];
    const error = decodeError(record);
    expect(error.reason).toBe('missing-header');
    expect(error.field).toBe(header);
    expect(error.message).toBe(`${header}: header is missing`);
  });

  it('empty ce_id', () => {
    const record = good();
    record.headers.ce_id = '';
    expect(decodeError(record)).toMatchObject({ reason: 'missing-header', field: 'ce_id', message: 'ce_id: header is empty' });
  });

  it('unknown ce_type, listing what the consumer reads', () => {
    const error = decodeError(encodeEvent(TrainModelCommand, envelope(train, { key: 'fraud' })));
    expect(error.reason).toBe('unknown-type');
    expect(error.field).toBe('ce_type');
    expect(error.message).toContain('unknown event type "flywheel.trainer.v1.TrainModel"');
    expect(error.message).toContain('flywheel.deployer.v1.PredictionLogged');
  });

  it('wrong specversion', () => {
    const record = good();
    record.headers.ce_specversion = '0.3';
    expect(decodeError(record)).toMatchObject({
      reason: 'invalid-header',
      field: 'ce_specversion',
      message: 'ce_specversion: expected 1.0, got "0.3"',
    });
  });

  it('wrong content-type', () => {
    const record = good();
    record.headers['content-type'] = 'application/json';
    expect(decodeError(record)).toMatchObject({
      reason: 'invalid-header',
      field: 'content-type',
      message: 'content-type: expected application/protobuf, got "application/json"',
    });
  });

  it('a time that is not RFC 3339', () => {
    const record = good();
    record.headers.ce_time = 'yesterday';
    expect(decodeError(record)).toMatchObject({ reason: 'invalid-header', field: 'ce_time' });
    record.headers.ce_time = '2025-03-01 12:00:00';
    expect(decodeError(record)).toMatchObject({ reason: 'invalid-header', field: 'ce_time' });
  });

  it('no key', () => {
    expect(decodeError({ ...good(), key: null })).toMatchObject({ reason: 'missing-key', field: 'key' });
  });

  it('no value (tombstone)', () => {
    expect(decodeError({ ...good(), value: null })).toMatchObject({ reason: 'missing-value', field: 'value' });
  });

  it('bytes that are not the protobuf message', () => {
    const error = decodeError({ ...good(), value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]) });
    expect(error.reason).toBe('invalid-payload');
    expect(error.field).toBe('value');
    expect(error.message).toMatch(/^value: not a valid flywheel\.deployer\.v1\.PredictionLogged: /);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('encodeEvent refuses a bad envelope', () => {
  it.each([
    ['id', { id: '' }],
    ['source', { source: '' }],
    ['key', { key: '' }],
    ['time', { time: new Date('nope') }],
    ['causationId', { causationId: '' }],
    ['traceparent', { traceparent: 'not-a-trace' }],
  ] as [string, Partial<EventEnvelope>][])('%s', (field, override) => {
    expect(() => encodeEvent(DriftDetectedEvent, envelope(drift, override as Partial<EventEnvelope<DriftDetected>>))).toThrow(
      expect.objectContaining({ name: 'EventEncodeError', field }),
    );
    expect(() => encodeEvent(DriftDetectedEvent, envelope(drift, override as Partial<EventEnvelope<DriftDetected>>))).toThrow(
      EventEncodeError,
    );
  });
});

describe('EventTypeRegistry', () => {
  it('returns registered types by name and nothing for others', () => {
    const registry = new EventTypeRegistry().register(AliasMovedEvent, DriftDetectedEvent);
    expect(registry.get('flywheel.registry.v1.AliasMoved')).toBe(AliasMovedEvent);
    expect(registry.get('flywheel.registry.v1.Nope')).toBeUndefined();
    expect(registry.typeNames()).toEqual(['flywheel.monitor.v1.DriftDetected', 'flywheel.registry.v1.AliasMoved']);
  });

  it('accepts the same type twice but not two codecs under one name', () => {
    const registry = new EventTypeRegistry().register(AliasMovedEvent, AliasMovedEvent);
    expect(registry.typeNames()).toHaveLength(1);
    const impostor = eventType({ ...AliasMoved, $type: 'flywheel.registry.v1.AliasMoved' });
    expect(() => registry.register(impostor)).toThrow('flywheel.registry.v1.AliasMoved is already registered');
  });

  it('eventType refuses a codec without a full message name', () => {
    expect(() => eventType({ ...AliasMoved, $type: 'AliasMoved' })).toThrow('typeName: not a full protobuf message name');
  });
});
