import { commonV1, trainerV1 } from '@flywheel/contracts';
import { loadModel } from '@flywheel/ml';
import { validateSpec } from '../runs/model-spec';
import { CLAIMS_COLUMNS, claimsCsv, FEATURE_VIEW } from '../testing/claims-training-set';
import { fitOne, prepareTrainingData, scoreHoldout } from './training-steps';

describe('training steps', () => {
  it('train a random forest end to end: prepared, fitted, a search trial scored, the holdout scored and stored', () => {
    const checked = validateSpec(
      trainerV1.ModelSpec.fromPartial({
        modelName: 'fraud',
        featureView: FEATURE_VIEW,
        label: 'is_fraud',
        algorithm: commonV1.Algorithm.ALGORITHM_RANDOM_FOREST,
        task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
        params: { n_estimators: { numberValue: 30 }, min_samples_leaf: { numberValue: 2 } },
        metric: 'roc_auc',
        seed: 7,
      }),
    );
    const data = prepareTrainingData({
      checked,
      csv: new TextEncoder().encode(claimsCsv(800)),
      source: 'training-sets/claims.csv',
      columns: CLAIMS_COLUMNS,
    });
    expect(data.features).toEqual(['amount', 'age', 'channel']);
    const input = {
      train: data.train,
      label: 'is_fraud',
      algorithm: checked.algorithm,
      params: checked.params,
      seed: 7,
      features: data.features,
      now: new Date('2026-01-01T00:00:00Z'),
    };
    const trial = fitOne({ ...input, metric: 'roc_auc' });
    expect(trial.score).toBeGreaterThan(0.85);
    const { artifact } = fitOne(input);
    expect(artifact).toMatchObject({ algorithm: 'random_forest', task: 'binary', parameters: { nEstimators: 30, task: 'classification' } });
    const scored = scoreHoldout({ artifact, metric: 'roc_auc', ...data });
    expect(scored.metrics.roc_auc).toBeGreaterThan(0.85);
    expect(loadModel(new TextDecoder().decode(scored.artifactJson)).artifact).toEqual(JSON.parse(JSON.stringify(artifact)));
  });
});
