import { trainerV1 } from '@flywheel/contracts';
import { type RunRecord } from './run-record';
import { runStateOf, runStatus, runToProto } from './run.mapper';

const queued: RunRecord = {
  id: '6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f',
  modelName: 'fraud',
  requestId: null,
  causeEventId: null,
  decisionId: null,
  status: 'QUEUED',
  trigger: trainerV1.RunTrigger.RUN_TRIGGER_API,
  spec: trainerV1.ModelSpec.fromPartial({ modelName: 'fraud', metric: 'accuracy' }),
  seed: 7,
  params: {},
  metrics: {},
  trials: [],
  parentRunId: null,
  artifact: null,
  lineage: null,
  holdout: null,
  failureCode: null,
  error: '',
  actor: { team: 'risk', tokenId: 't1', service: '' },
  attempts: 0,
  durationMs: null,
  createdAt: new Date('2026-01-02T03:04:05Z'),
  startedAt: null,
  endedAt: null,
};

describe('run mapper', () => {
  it('leaves what a queued run does not have yet unset on the wire', () => {
    const run = runToProto(queued);
    expect(run).toMatchObject({
      runId: queued.id,
      status: trainerV1.RunStatus.RUN_STATUS_QUEUED,
      causeEventId: '',
      createTime: queued.createdAt,
    });
    expect(run.failureCode).toBe(trainerV1.FailureCode.FAILURE_CODE_UNSPECIFIED);
    for (const unset of [run.artifact, run.lineage, run.holdout, run.duration, run.startTime, run.endTime]) expect(unset).toBeUndefined();
  });

  it('carries a finished run: its parameters as values, trials, duration and failure', () => {
    const run = runToProto({
      ...queued,
      status: 'FAILED',
      params: { C: 1, impute: 'mean' },
      trials: [{ runId: '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70', params: { C: 0.1 }, metricValue: 0.7, rows: 900 }],
      failureCode: trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
      error: 'too few rows',
      durationMs: 1500,
      endedAt: new Date('2026-01-02T03:05:00Z'),
    });
    expect(run).toMatchObject({
      status: trainerV1.RunStatus.RUN_STATUS_FAILED,
      params: { C: { numberValue: 1 }, impute: { stringValue: 'mean' } },
      trials: [{ runId: '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70', params: { C: { numberValue: 0.1 } }, metricValue: 0.7, rows: 900 }],
      parentRunId: '',
      failureCode: trainerV1.FailureCode.FAILURE_CODE_INSUFFICIENT_DATA,
      error: 'too few rows',
      duration: { seconds: 1, nanos: 500_000_000 },
    });
  });

  it('names the search a trial belongs to', () => {
    const search = '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70';
    expect(runToProto({ ...queued, parentRunId: search }).parentRunId).toBe(search);
  });

  it('maps every run state to its status and back', () => {
    for (const state of ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED'] as const) expect(runStateOf(runStatus(state))).toBe(state);
    expect(runStateOf(trainerV1.RunStatus.RUN_STATUS_UNSPECIFIED)).toBeNull();
  });
});
