import { commonV1, durationFromMillis, featureStoreV1, ingestionV1, monitorV1, registryV1, trainerV1 } from '@flywheel/contracts';
import { CHANNELS, REGIONS } from './claims-generator';
import { type PlatformClients } from './scenario-platform';
import { DATASET, FEATURE_VIEW, MODEL, type ScenarioOptions } from './scenario-options';
import { type Timeline } from './timeline';

/** The promotion policy's margins: a challenger takes production by this much accuracy, on at least this many holdout rows. */
export const PROMOTION_MIN_IMPROVEMENT = 0.02;
export const PROMOTION_MIN_HOLDOUT_ROWS = 50;

/** What the trainer fits: the first version on request, and every retraining by policy. */
export function modelSpec(seed: number, trainingWindowMs: number | null): trainerV1.ModelSpec {
  return trainerV1.ModelSpec.fromPartial({
    modelName: MODEL,
    featureView: FEATURE_VIEW,
    label: 'is_fraud',
    task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
    algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
    // Weak regularisation: the rules are nearly separable and the retraining sees a few hundred rows.
    params: { C: { numberValue: 10 } },
    metric: 'accuracy',
    evaluation: { recentFraction: 0.2 },
    seed,
    trainingWindow: trainingWindowMs === null ? undefined : durationFromMillis(trainingWindowMs),
  });
}

/**
 * The dataset with its data contract, the feature view, the model, and the demo's short
 * policies (promotion, retraining, monitoring).
 */
export async function registerScenarioResources(clients: PlatformClients, o: ScenarioOptions, timeline: Timeline): Promise<void> {
  await registerClaimsData(clients);
  await clients.registry.createModel(registryV1.CreateModelRequest.fromPartial({ name: MODEL, description: 'Is a claim fraudulent?' }));
  await clients.registry.setPromotionPolicy(
    registryV1.SetPromotionPolicyRequest.fromPartial({
      policy: {
        modelName: MODEL,
        autoPromote: true,
        alias: 'production',
        metric: 'accuracy',
        minAbsoluteImprovement: PROMOTION_MIN_IMPROVEMENT,
        minHoldoutRows: PROMOTION_MIN_HOLDOUT_ROWS,
      },
    }),
  );
  // Retrain on drift once enough post-shift claims arrived, on those claims only (the training
  // window spans them at the scenario's rate), at most once per ten minutes.
  const windowMs = Math.round((o.retrainClaims / o.claimsPerSecond) * 1000);
  await clients.trainer.setRetrainingPolicy(
    trainerV1.SetRetrainingPolicyRequest.fromPartial({
      policy: {
        modelName: MODEL,
        enabled: true,
        onDrift: true,
        onPerformanceDegraded: false,
        cooldown: durationFromMillis(600_000),
        dailyBudget: 3,
        minNewRows: o.beforeShiftClaims + o.retrainClaims,
        spec: modelSpec(o.seed, windowMs),
      },
    }),
  );
  await clients.monitor.setMonitoringPolicy(
    monitorV1.SetMonitoringPolicyRequest.fromPartial({
      policy: {
        modelName: MODEL,
        windowSize: o.windowSize,
        minWindowSize: Math.floor(o.windowSize / 2),
        // p-value tests (KS for numbers, chi-square for categories), Bonferroni-corrected: a
        // window of a few hundred predictions must not cry wolf. Not the automatic Wasserstein
        // (chosen above 1000 reference rows): from the contract's histogram it is biased on a
        // low-cardinality number such as prior_claims and flags it with no drift at all.
        featureTests: [
          ...['amount', 'log_amount', 'claimant_age', 'policy_tenure_months', 'prior_claims'].map((feature) => ({
            feature,
            test: monitorV1.DriftTest.DRIFT_TEST_KS,
          })),
          ...['channel', 'region'].map((feature) => ({ feature, test: monitorV1.DriftTest.DRIFT_TEST_CHI_SQUARE })),
        ],
        driftShareThreshold: 0.3,
        correctForMultipleTests: true,
        maxAccuracyDrop: 0.05,
        minLabelled: 50,
      },
    }),
  );
  timeline.note(
    `policies: promotion margin +${PROMOTION_MIN_IMPROVEMENT} accuracy on ≥${PROMOTION_MIN_HOLDOUT_ROWS} holdout rows; retraining on drift after ${o.beforeShiftClaims + o.retrainClaims} new rows, ` +
      `window ${(windowMs / 1000).toFixed(0)} s, cooldown 10 min; monitor windows of ${o.windowSize} predictions, KS/chi-square with Bonferroni, drift share 0.3; ` +
      `canary ${(o.canaryShare * 100).toFixed(0)}% for ${o.canaryMinRequests} requests`,
  );
}

/** The claims dataset with its data contract (a version every `commitRows` rows at most), and the feature view over it. */
export async function registerClaimsData(clients: PlatformClients, commitRows = 500): Promise<void> {
  const { ColumnType } = commonV1;
  const column = (name: string, type: commonV1.ColumnType, extra: Partial<ingestionV1.ColumnSpec> = {}) =>
    ingestionV1.ColumnSpec.fromPartial({ name, type, required: true, ...extra });
  await clients.ingestion.registerDataset(
    ingestionV1.RegisterDatasetRequest.fromPartial({
      name: DATASET,
      description: 'Insurance claims with their investigated fraud outcome',
      contract: {
        columns: [
          column('claim_id', ColumnType.COLUMN_TYPE_STRING, { description: 'claim reference' }),
          column('claim_time', ColumnType.COLUMN_TYPE_TIMESTAMP, { description: 'when the claim was filed' }),
          column('amount', ColumnType.COLUMN_TYPE_DOUBLE, { min: 0, max: 1_000_000, description: 'claimed amount' }),
          column('claimant_age', ColumnType.COLUMN_TYPE_INTEGER, { min: 16, max: 110 }),
          column('policy_tenure_months', ColumnType.COLUMN_TYPE_INTEGER, { min: 0, max: 1200 }),
          column('prior_claims', ColumnType.COLUMN_TYPE_INTEGER, { min: 0, max: 100 }),
          column('channel', ColumnType.COLUMN_TYPE_STRING, { allowedValues: [...CHANNELS] }),
          column('region', ColumnType.COLUMN_TYPE_STRING, { allowedValues: [...REGIONS] }),
          column('is_fraud', ColumnType.COLUMN_TYPE_INTEGER, { min: 0, max: 1, description: '1 when the investigation found fraud' }),
        ],
        uniqueKey: ['claim_id'],
        eventTimeColumn: 'claim_time',
      },
      commitPolicy: { maxRows: commitRows, maxInterval: durationFromMillis(3000) },
    }),
  );
  const feature = (name: string, type: commonV1.ColumnType, source: { column?: string; expression?: string } = { column: name }) =>
    featureStoreV1.FeatureSpec.fromPartial({ name, type, ...source });
  await clients.featureStore.applyFeatureView(
    featureStoreV1.ApplyFeatureViewRequest.fromPartial({
      name: FEATURE_VIEW,
      dataset: DATASET,
      entityKey: 'claim_id',
      eventTimeColumn: 'claim_time',
      description: 'Fraud features of a claim',
      features: [
        feature('amount', ColumnType.COLUMN_TYPE_DOUBLE),
        feature('log_amount', ColumnType.COLUMN_TYPE_DOUBLE, { expression: 'log1p(amount)' }),
        feature('claimant_age', ColumnType.COLUMN_TYPE_INTEGER),
        feature('policy_tenure_months', ColumnType.COLUMN_TYPE_INTEGER),
        feature('prior_claims', ColumnType.COLUMN_TYPE_INTEGER),
        feature('channel', ColumnType.COLUMN_TYPE_STRING),
        feature('region', ColumnType.COLUMN_TYPE_STRING),
      ],
    }),
  );
}
