import { commonV1, monitorV1 } from '@flywheel/contracts';
import {
  type CategoricalFeatureProfile,
  CategoricalWindow,
  type ColumnDriftResult,
  type DataProfile,
  type FeatureWindow,
  PROFILE_VERSION,
  STAT_TEST_KIND,
  accuracy,
  decideDatasetDrift,
  isDrifted,
  sketchDriftReport,
} from '@flywheel/ml';
import { type EffectivePolicy, columnOverrides, driftTestOf } from '../policy/monitoring-policy';
import { windowProfile } from '../reference/profile-codec';
import { type LabelTally, type WindowSummary, sameClass } from './window-state';

/** What the monitor knows about a model version: its training profile and holdout metric. */
export interface Reference {
  readonly modelName: string;
  readonly modelVersion: number;
  readonly task: commonV1.ModelTask;
  readonly profile: DataProfile;
  readonly columnTypes: Readonly<Record<string, commonV1.ColumnType>>;
  /** The training set the profile describes. */
  readonly source: commonV1.ObjectRef | null;
  /** `accuracy` (classification) or `rmse` (regression) on the version's holdout. */
  readonly metric: string | null;
  readonly referenceValue: number | null;
  /** Output class counts of the version's first judged window: the reference of prediction drift. */
  readonly predictionBaseline: Readonly<Record<string, number>> | null;
}

export interface PerformanceJudgement {
  readonly metric: string;
  readonly current: number;
  readonly reference: number;
  readonly maxDrop: number;
  readonly labelled: number;
  readonly degraded: boolean;
}

export interface Judgement {
  readonly report: monitorV1.DriftReport;
  readonly driftedFeatures: string[];
  readonly datasetDrift: boolean;
  readonly predictionDrift: boolean;
  /** Null when the window has too few labels or the version has no holdout metric. */
  readonly performance: PerformanceJudgement | null;
  /** The output counts to keep as prediction-drift reference, when the version had none. */
  readonly newBaseline: Record<string, number> | null;
}

export interface JudgeInput {
  readonly reference: Reference;
  readonly policy: EffectivePolicy;
  readonly window: WindowSummary;
  readonly reportId: string;
  readonly start: Date;
  readonly end: Date;
  readonly now: Date;
}

export const PREDICTION_FEATURE = 'prediction';

/**
 * Judges a closed window: data drift per feature against the training profile (the test the
 * library chooses, or the policy's), the dataset verdict by the policy's share (after a
 * Bonferroni correction of p-values if asked), prediction drift against the version's first
 * window, and performance against the holdout metric.
 */
export function judgeWindow(input: JudgeInput): Judgement {
  const { reference, policy, window } = input;
  const overrides = columnOverrides(policy);
  const results: Array<{ result: ColumnDriftResult; window: FeatureWindow }> = [];
  for (const feature of reference.profile.features) {
    const w = window.features.get(feature.name);
    if (w === undefined || w.count === 0) continue;
    const single = { version: PROFILE_VERSION, rows: reference.profile.rows, features: [feature] } as const;
    const windows = new Map([[feature.name, w]]);
    let result: ColumnDriftResult;
    try {
      [result] = sketchDriftReport(single, windows, { columns: overrides }).columns;
    } catch {
      // A test the policy named that this feature cannot take (e.g. chi-square on a numeric
      // feature with many values): the automatic choice, with the policy's threshold if any.
      [result] = sketchDriftReport(single, windows, {
        columns: { [feature.name]: { threshold: overrides[feature.name]?.threshold } },
      }).columns;
    }
    results.push({ result, window: w });
  }

  let columns = results.map((r) => r.result);
  let prediction = predictionDrift(reference, window);
  // The prediction's test belongs to the same family as the features': without it in the
  // correction, an unchanged output distribution alone would raise drift now and then.
  const family = columns.length + (prediction ? 1 : 0);
  if (policy.correctForMultipleTests && family > 1) {
    const correct = (c: ColumnDriftResult): ColumnDriftResult => {
      if (STAT_TEST_KIND[c.test] !== 'p-value') return c;
      const threshold = c.threshold / family;
      return { ...c, threshold, drifted: isDrifted(c.test, { statistic: c.statistic, pValue: c.pValue }, threshold) };
    };
    columns = columns.map(correct);
    if (prediction) prediction = { ...prediction, result: correct(prediction.result) };
  }
  const decided = decideDatasetDrift(columns, { method: 'share', share: policy.driftShareThreshold });
  const features = decided.columns.map((c, i) =>
    featureDrift(
      c,
      reference.columnTypes[c.name] ?? commonV1.ColumnType.COLUMN_TYPE_DOUBLE,
      reference.profile.features.find((f) => f.name === c.name)?.count ?? 0,
      results[i].window.count,
    ),
  );

  const predictionReport = prediction
    ? featureDrift(prediction.result, commonV1.ColumnType.COLUMN_TYPE_STRING, prediction.referenceCount, prediction.currentCount)
    : null;
  const report = monitorV1.DriftReport.fromPartial({
    reportId: input.reportId,
    modelName: reference.modelName,
    modelVersion: reference.modelVersion,
    window: { start: input.start, end: input.end },
    reference: reference.source ?? undefined,
    features,
    prediction: predictionReport ?? undefined,
    driftedShare: decided.dataset.shareOfDriftedColumns,
    driftShareThreshold: policy.driftShareThreshold,
    datasetDrift: decided.dataset.drifted,
    currentProfile: windowProfile(window.features, window.predictions, reference.columnTypes),
    createTime: input.now,
  });
  const baselineMissing = reference.predictionBaseline === null && window.outputs.size > 0;
  return {
    report,
    driftedFeatures: features.filter((f) => f.drifted).map((f) => f.feature),
    datasetDrift: decided.dataset.drifted,
    predictionDrift: predictionReport?.drifted ?? false,
    performance: judgePerformance(reference, policy, window.labels),
    newBaseline: baselineMissing ? Object.fromEntries(window.outputs) : null,
  };
}

function featureDrift(
  c: ColumnDriftResult,
  type: commonV1.ColumnType,
  referenceCount: number,
  currentCount: number,
): monitorV1.FeatureDrift {
  return monitorV1.FeatureDrift.fromPartial({
    feature: c.name,
    type,
    test: driftTestOf(c.test),
    // A two-sided z-test's sign only says which way the shares moved; the contract reports its size.
    statistic: c.test === 'z' ? Math.abs(c.statistic) : c.statistic,
    pValue: c.pValue ?? undefined,
    threshold: c.threshold,
    drifted: c.drifted,
    referenceCount,
    currentCount,
  });
}

/** Drift of the output classes against the version's first window; null without that baseline. */
function predictionDrift(
  reference: Reference,
  window: WindowSummary,
): { result: ColumnDriftResult; referenceCount: number; currentCount: number } | null {
  const baseline = reference.predictionBaseline;
  if (baseline === null || window.outputs.size === 0) return null;
  const count = Object.values(baseline).reduce((a, b) => a + b, 0);
  if (count === 0) return null;
  const profile: CategoricalFeatureProfile = {
    name: PREDICTION_FEATURE,
    type: 'categorical',
    count,
    missing: 0,
    missingShare: 0,
    frequencies: baseline,
  };
  const current = new CategoricalWindow(profile);
  for (const [key, n] of window.outputs) current.frequencies.set(key, n);
  current.count = [...window.outputs.values()].reduce((a, b) => a + b, 0);
  const [result] = sketchDriftReport(
    { version: PROFILE_VERSION, rows: count, features: [profile] },
    new Map([[PREDICTION_FEATURE, current]]),
  ).columns;
  return { result, referenceCount: count, currentCount: current.count };
}

/** Accuracy of classification labels (the library's metric over the tallied pairs). */
export function tallyAccuracy(tally: LabelTally): number | null {
  const pairs = Object.entries(tally.confusion);
  if (pairs.length === 0) return null;
  const classes: string[] = [];
  const indexOf = (key: string): number => {
    let k = classes.findIndex((c) => sameClass(c, key));
    if (k < 0) k = classes.push(key) - 1;
    return k;
  };
  const yTrue: number[] = [];
  const yPred: number[] = [];
  for (const [key, n] of pairs) {
    const [truth, predicted] = key.split('\u0001');
    const t = indexOf(truth);
    const p = indexOf(predicted);
    for (let i = 0; i < n; i++) {
      yTrue.push(t);
      yPred.push(p);
    }
  }
  return accuracy(yTrue, yPred);
}

export function tallyRmse(tally: LabelTally): number | null {
  return tally.numeric > 0 ? Math.sqrt(tally.squaredError / tally.numeric) : null;
}

/**
 * Classification: degraded when accuracy is more than `maxAccuracyDrop` below the holdout's.
 * Regression: degraded when RMSE exceeds the holdout's by more than that share of it.
 */
export function judgePerformance(reference: Reference, policy: EffectivePolicy, tally: LabelTally): PerformanceJudgement | null {
  if (tally.labelled < policy.minLabelled || reference.metric === null || reference.referenceValue === null) return null;
  const maxDrop = policy.maxAccuracyDrop;
  if (reference.metric === 'rmse') {
    const current = tallyRmse(tally);
    if (current === null) return null;
    return {
      metric: 'rmse',
      current,
      reference: reference.referenceValue,
      maxDrop,
      labelled: tally.labelled,
      degraded: current > reference.referenceValue * (1 + maxDrop),
    };
  }
  const current = tallyAccuracy(tally);
  if (current === null) return null;
  return {
    metric: 'accuracy',
    current,
    reference: reference.referenceValue,
    maxDrop,
    labelled: tally.labelled,
    degraded: reference.referenceValue - current > maxDrop,
  };
}
