import { commonV1, trainerV1 } from '@flywheel/contracts';
import { InvalidArgumentException } from '@flywheel/platform';
import {
  parseModelNameFilter,
  parseReadRunArtifact,
  parseRunId,
  parseRunIds,
  parseRunListFilter,
  parseSubmitTraining,
} from './run-requests';

const spec = trainerV1.ModelSpec.fromPartial({
  modelName: 'fraud',
  featureView: 'claims-features',
  label: 'is_fraud',
  algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
});
const RUN_A = '6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f';
const RUN_B = '7f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f';

function violations(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidArgumentException) return error.violations.map((v) => `${v.field}: ${v.reason}`);
    throw error;
  }
  return [];
}

describe('run requests', () => {
  it('checks the spec of SubmitTraining and keeps no empty request id', () => {
    const parsed = parseSubmitTraining({ spec, requestId: '' });
    expect(parsed.requestId).toBeNull();
    expect(parsed.spec).toMatchObject({ algorithm: 'logreg', task: 'binary' });
    expect(parsed.spec.spec.metric).toBe('accuracy');
    expect(parseSubmitTraining({ spec, requestId: 'retry-1' }).requestId).toBe('retry-1');
  });

  it('names the bad fields of SubmitTraining as the .proto spells them', () => {
    expect(violations(() => parseSubmitTraining({ spec: undefined, requestId: '' }))).toEqual(['spec: is required']);
    expect(violations(() => parseSubmitTraining({ spec, requestId: 'x'.repeat(201) }))).toEqual([
      'request_id: must be at most 200 characters',
    ]);
    expect(violations(() => parseSubmitTraining({ spec: { ...spec, modelName: 'Fraud Model', metric: 'rmse' }, requestId: '' }))).toEqual([
      'spec.model_name: must match [a-z][a-z0-9_-]{0,62}',
      'spec.metric: must be one of accuracy, precision, recall, f1, roc_auc, log_loss for binary classification',
    ]);
  });

  it('accepts run ids and refuses anything else', () => {
    expect(parseRunId(RUN_A)).toBe(RUN_A);
    expect(violations(() => parseRunId('run-1'))).toEqual(['run_id: must be a run id (uuid)']);
  });

  it('compares 2 to 20 distinct runs', () => {
    expect(parseRunIds([RUN_A, RUN_B])).toEqual([RUN_A, RUN_B]);
    expect(violations(() => parseRunIds([RUN_A]))).toEqual(['run_ids: must list 2 to 20 runs']);
    expect(violations(() => parseRunIds([RUN_A, 'nope']))).toEqual(['run_ids[1]: must be a run id (uuid)']);
    expect(violations(() => parseRunIds([RUN_A, RUN_B, RUN_A]))).toEqual([`run_ids[2]: ${RUN_A} is listed twice`]);
  });

  it('filters runs by model, status and search, empty and unspecified meaning any', () => {
    const unfiltered = { modelName: '', status: trainerV1.RunStatus.RUN_STATUS_UNSPECIFIED, page: undefined, parentRunId: '' };
    expect(parseRunListFilter(unfiltered)).toEqual({ modelName: undefined, status: undefined, parentRunId: undefined });
    expect(parseRunListFilter({ ...unfiltered, modelName: 'fraud', status: trainerV1.RunStatus.RUN_STATUS_FAILED })).toEqual({
      modelName: 'fraud',
      status: 'FAILED',
      parentRunId: undefined,
    });
    expect(parseRunListFilter({ ...unfiltered, parentRunId: RUN_A })).toMatchObject({ parentRunId: RUN_A });
    expect(
      violations(() =>
        parseRunListFilter({ modelName: 'Fraud', status: 99 as trainerV1.RunStatus, page: undefined, parentRunId: "x' OR 1=1 --" }),
      ),
    ).toEqual(['model_name: must match [a-z][a-z0-9_-]{0,62}', 'status: is not a run status', 'parent_run_id: must be a run id (uuid)']);
    expect(parseModelNameFilter('')).toBeUndefined();
  });

  it("reads a run's model or holdout in ranges the contract allows, naming what is wrong", () => {
    const { RUN_ARTIFACT_MODEL, RUN_ARTIFACT_HOLDOUT, RUN_ARTIFACT_UNSPECIFIED } = trainerV1.RunArtifact;
    expect(parseReadRunArtifact({ runId: RUN_A, artifact: RUN_ARTIFACT_HOLDOUT, offset: 4, maxBytes: 1024 })).toEqual({
      runId: RUN_A,
      artifact: 'holdout',
      offset: 4,
      maxBytes: 1024,
    });
    expect(parseReadRunArtifact({ runId: RUN_A, artifact: RUN_ARTIFACT_MODEL, offset: 0, maxBytes: 0 }).artifact).toBe('model');
    expect(violations(() => parseReadRunArtifact({ runId: RUN_A, artifact: RUN_ARTIFACT_UNSPECIFIED, offset: 0, maxBytes: 0 }))).toEqual([
      'artifact: must be RUN_ARTIFACT_MODEL or RUN_ARTIFACT_HOLDOUT',
    ]);
    expect(violations(() => parseReadRunArtifact({ runId: '../x', artifact: RUN_ARTIFACT_MODEL, offset: 0, maxBytes: 0 }))).toEqual([
      'run_id: must be a run id (uuid)',
    ]);
    expect(violations(() => parseReadRunArtifact({ runId: RUN_A, artifact: RUN_ARTIFACT_MODEL, offset: 1.5, maxBytes: -1 }))).toEqual([
      'offset: must be a whole number',
      'max_bytes: must be 0 (the most) or more',
    ]);
  });
});
