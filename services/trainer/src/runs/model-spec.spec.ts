import { commonV1, trainerV1 } from '@flywheel/contracts';
import { InvalidArgumentException } from '@flywheel/platform';
import { splitHoldout } from '../training/training-pipeline';
import { gridPointsOf, validateSpec } from './model-spec';
import { type RunRecord } from './run-record';
import { compareRuns } from './runs.service';

const base = trainerV1.ModelSpec.fromPartial({
  modelName: 'fraud',
  featureView: 'claims-features',
  label: 'is_fraud',
  algorithm: commonV1.Algorithm.ALGORITHM_GRADIENT_BOOSTED_TREES,
  task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
});

function violations(spec: Partial<trainerV1.ModelSpec>): string[] {
  try {
    validateSpec({ ...base, ...spec });
  } catch (error) {
    if (error instanceof InvalidArgumentException) return error.violations.map((v) => `${v.field}: ${v.reason}`);
    throw error;
  }
  return [];
}

describe('validateSpec', () => {
  it('fills in the defaults a run records and passes the task to the trees', () => {
    const checked = validateSpec(base);
    expect(checked).toMatchObject({ algorithm: 'gbdt', task: 'binary', holdout: { fraction: 0.2 }, lowerIsBetter: false, search: null });
    expect(checked.spec.metric).toBe('accuracy');
    expect(checked.params).toEqual({ task: 'classification' });
    const linear = validateSpec({
      ...base,
      algorithm: commonV1.Algorithm.ALGORITHM_LINEAR_REGRESSION,
      task: 0,
      evaluation: { recent: { seconds: 3600, nanos: 0 } },
    });
    expect(linear).toMatchObject({ task: 'regression', holdout: { recentMs: 3_600_000 }, lowerIsBetter: true });
    expect(linear.spec).toMatchObject({ metric: 'rmse', task: commonV1.ModelTask.MODEL_TASK_REGRESSION });
  });

  it('names each bad field', () => {
    expect(violations({ featureView: 'Claims', features: ['amount', 'amount'], label: 'amount' })).toEqual([
      'spec.feature_view: must match [a-z][a-z0-9_-]{0,62}',
      'spec.features[1]: "amount" is listed twice',
      'spec.label: "amount" is also listed as a feature',
    ]);
    expect(
      violations({ algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION, task: commonV1.ModelTask.MODEL_TASK_REGRESSION }),
    ).toEqual(['spec.task: logistic regression classifies; use MODEL_TASK_BINARY_CLASSIFICATION']);
    expect(violations({ task: 0 })).toEqual(['spec.task: is required for gradient-boosted trees (they classify or regress)']);
    expect(violations({ metric: 'r2', evaluation: { recentFraction: 1 }, seed: -1 })).toEqual([
      'spec.metric: must be one of accuracy, precision, recall, f1, roc_auc, log_loss for binary classification',
      'spec.evaluation.recent_fraction: must be between 0 and 1 (exclusive)',
      'spec.seed: must be a non-negative integer',
    ]);
    expect(violations({ params: { learning_rate: { numberValue: 0 }, bogus: { boolValue: true } } })).toEqual([
      'spec.params.learning_rate: parameter "learningRate": expected a number > 0, got 0',
      expect.stringMatching(/^spec\.params\.bogus: unknown parameter "bogus" for gbdt/),
    ]);
  });

  it('plans a grid when every domain is a list, a seeded random search otherwise', () => {
    const grid = validateSpec({
      ...base,
      searchSpace: {
        parameters: [
          { name: 'max_depth', choices: { values: [{ numberValue: 2 }, { numberValue: 4 }] } },
          { name: 'learning_rate', range: { min: 0.01, max: 1, logScale: true, integer: false } },
        ],
        strategy: trainerV1.SearchStrategy.SEARCH_STRATEGY_GRID,
        maxTrials: 0,
        gridPoints: 3,
      },
    });
    expect(grid.search).toEqual({ strategy: 'grid', grid: { maxDepth: [2, 4], learningRate: [0.01, expect.closeTo(0.1, 12), 1] } });
    const random = validateSpec({
      ...base,
      searchSpace: {
        parameters: [{ name: 'max_iter', range: { min: 10, max: 200, logScale: false, integer: true } }],
        strategy: 0,
        maxTrials: 7,
        gridPoints: 0,
      },
    });
    expect(random.search).toEqual({ strategy: 'random', space: { maxIter: { min: 10, max: 200, log: false, integer: true } }, trials: 7 });
    const halving = validateSpec({
      ...base,
      searchSpace: {
        parameters: [{ name: 'max_iter', choices: { values: [{ numberValue: 10 }, { numberValue: 50 }] } }],
        strategy: trainerV1.SearchStrategy.SEARCH_STRATEGY_HALVING,
        maxTrials: 0,
        gridPoints: 0,
      },
    });
    // Halving samples however the space is given, 20 samples unless told.
    expect(halving.search).toEqual({ strategy: 'halving', space: { maxIter: [10, 50] }, trials: 20 });
    expect(
      violations({
        searchSpace: {
          parameters: [
            { name: 'max_iter', range: { min: 1, max: 100, logScale: false, integer: true } },
            { name: 'depth', choices: { values: [] } },
          ],
          strategy: trainerV1.SearchStrategy.SEARCH_STRATEGY_GRID,
          maxTrials: 3,
          gridPoints: 5,
        },
      }),
    ).toEqual([
      expect.stringMatching(/^spec\.search_space\.parameters\[1\]\.name: "depth" is not a parameter of gbdt/),
      'spec.search_space.max_trials: the grid has 5 combinations, more than the cap of 3; raise max_trials or narrow the grid',
    ]);
    expect(gridPointsOf({ min: 1, max: 3, integer: true }, 5)).toEqual([1, 2, 3]);
  });

  it("takes a random forest grid as scikit-learn's, refusing values no trial could take before any runs", () => {
    const forest = { algorithm: commonV1.Algorithm.ALGORITHM_RANDOM_FOREST };
    const checked = validateSpec({
      ...base,
      ...forest,
      task: commonV1.ModelTask.MODEL_TASK_REGRESSION,
      searchSpace: {
        parameters: [
          { name: 'n_estimators', choices: { values: [{ numberValue: 100 }, { numberValue: 300 }] } },
          { name: 'max_depth', choices: { values: [{ stringValue: 'none' }, { numberValue: 10 }] } },
          { name: 'max_features', choices: { values: [{ stringValue: 'sqrt' }, { numberValue: 0.5 }, { numberValue: 1 }] } },
        ],
        strategy: 0,
        maxTrials: 12,
        gridPoints: 0,
      },
    });
    expect(checked).toMatchObject({ algorithm: 'random_forest', task: 'regression', lowerIsBetter: true });
    expect(checked.params).toEqual({ task: 'regression' });
    expect(checked.search).toEqual({
      strategy: 'grid',
      grid: { nEstimators: [100, 300], maxDepth: ['none', 10], maxFeatures: ['sqrt', 0.5, 1] },
    });
    expect(violations({ ...forest, task: 0 })).toEqual(['spec.task: is required for random forests (they classify or regress)']);
    expect(
      violations({
        ...forest,
        searchSpace: {
          parameters: [
            { name: 'max_features', choices: { values: [{ stringValue: 'sqrt' }, { stringValue: 'all' }] } },
            { name: 'min_samples_leaf', range: { min: 0, max: 10, logScale: false, integer: true } },
          ],
          strategy: 0,
          maxTrials: 0,
          gridPoints: 0,
        },
      }),
    ).toEqual([
      expect.stringMatching(/^spec\.search_space\.parameters\[0\]\.choices\[1\]: parameter "maxFeatures": expected auto, sqrt, log2/),
      'spec.search_space.parameters[1].range: parameter "minSamplesLeaf": expected an integer ≥ 1, got 0',
    ]);
    expect(violations({ algorithm: 99 as commonV1.Algorithm })).toEqual([
      'spec.algorithm: must be one of ALGORITHM_LOGISTIC_REGRESSION, ALGORITHM_LINEAR_REGRESSION, ALGORITHM_GRADIENT_BOOSTED_TREES, ALGORITHM_RANDOM_FOREST',
    ]);
  });
});

describe('splitHoldout', () => {
  const times = Float64Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  const byTime = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

  it('holds out the most recent share of the rows', () => {
    expect(splitHoldout(byTime, times, { fraction: 0.25 })).toEqual({ train: [0, 1, 2, 3, 4, 5, 6], holdout: [7, 8, 9] });
  });

  it('holds out the last span of event time before the newest row', () => {
    expect(splitHoldout(byTime, times, { recentMs: 25 })).toEqual({ train: [0, 1, 2, 3, 4, 5, 6], holdout: [7, 8, 9] });
  });
});

describe('compareRuns', () => {
  const run = (id: string, metric: string, metrics: Record<string, number>, params: Record<string, number | string>): RunRecord =>
    ({ id, spec: trainerV1.ModelSpec.fromPartial({ metric }), metrics, params }) as unknown as RunRecord;

  it('lists every metric, the parameters that differ, and the best run by the shared metric', () => {
    const comparison = compareRuns([
      run('a', 'log_loss', { log_loss: 0.4, accuracy: 0.8 }, { C: 1, impute: 'mean' }),
      run('b', 'log_loss', { log_loss: 0.3, roc_auc: 0.9 }, { C: 10, impute: 'mean', tol: 1e-6 }),
    ]);
    expect(comparison).toMatchObject({ metricNames: ['accuracy', 'log_loss', 'roc_auc'], differingParams: ['C', 'tol'], bestRunId: 'b' });
  });

  it('names no best run when the runs rank by different metrics or one has no value', () => {
    expect(compareRuns([run('a', 'accuracy', { accuracy: 0.8 }, {}), run('b', 'f1', { accuracy: 0.9, f1: 0.7 }, {})]).bestRunId).toBe('');
    expect(compareRuns([run('a', 'accuracy', { accuracy: 0.8 }, {}), run('b', 'accuracy', {}, {})]).bestRunId).toBe('');
  });
});
