import { monitorV1 } from '@flywheel/contracts';
import { defaultPolicy } from '../policy/monitoring-policy';
import { type Judgement, type PerformanceJudgement } from '../windows/window-judge';
import { driftFindings, performanceMessage } from './alert-findings';

const { AlertKind } = monitorV1;

function judgement(overrides: Partial<Judgement> & { prediction?: monitorV1.FeatureDrift }): Judgement {
  const report = monitorV1.DriftReport.fromPartial({
    reportId: 'r1',
    features: [{ feature: 'amount' }, { feature: 'channel' }, { feature: 'region' }],
    driftedShare: 2 / 3,
    prediction: overrides.prediction,
  });
  return { report, driftedFeatures: [], datasetDrift: false, predictionDrift: false, performance: null, newBaseline: null, ...overrides };
}

describe('alert findings', () => {
  it('raises data drift naming the drifted features and the share against the policy', () => {
    const { found, healthy } = driftFindings(
      judgement({ datasetDrift: true, driftedFeatures: ['amount', 'channel'] }),
      defaultPolicy('fraud'),
    );
    expect(found).toEqual([
      { kind: AlertKind.ALERT_KIND_DATA_DRIFT, message: 'data drift: 2 of 3 features drifted (amount, channel); share 0.67 >= 0.5' },
    ]);
    // Without a prediction part (no baseline yet) prediction drift is neither raised nor resolved.
    expect(healthy).toEqual([]);
  });

  it('raises prediction drift with its p-value or distance, and resolves what the window shows healthy', () => {
    const byPValue = monitorV1.FeatureDrift.fromPartial({ feature: 'prediction', pValue: 0.00123, threshold: 0.05, statistic: 9 });
    expect(driftFindings(judgement({ predictionDrift: true, prediction: byPValue }), defaultPolicy('fraud'))).toEqual({
      found: [
        {
          kind: AlertKind.ALERT_KIND_PREDICTION_DRIFT,
          message: "prediction drift: output classes moved from the version's first window (p-value 1.23e-3 < 0.05)",
        },
      ],
      healthy: [AlertKind.ALERT_KIND_DATA_DRIFT],
    });
    const byDistance = monitorV1.FeatureDrift.fromPartial({ feature: 'prediction', statistic: 0.25, threshold: 0.1 });
    expect(driftFindings(judgement({ predictionDrift: true, prediction: byDistance }), defaultPolicy('fraud')).found[0].message).toContain(
      '(distance 0.250 >= 0.1)',
    );
    expect(driftFindings(judgement({ prediction: byDistance }), defaultPolicy('fraud'))).toEqual({
      found: [],
      healthy: [AlertKind.ALERT_KIND_DATA_DRIFT, AlertKind.ALERT_KIND_PREDICTION_DRIFT],
    });
  });

  it('words a degraded accuracy as a drop and a degraded RMSE as a rise', () => {
    const accuracy: PerformanceJudgement = {
      metric: 'accuracy',
      current: 0.8,
      reference: 0.9,
      maxDrop: 0.05,
      labelled: 60,
      degraded: true,
    };
    expect(performanceMessage(accuracy)).toBe(
      'performance degraded: accuracy 0.8000 is 0.1000 below holdout 0.9000 (max drop 0.05) over 60 labels',
    );
    const rmse: PerformanceJudgement = { metric: 'rmse', current: 12.5, reference: 10, maxDrop: 0.05, labelled: 70, degraded: true };
    expect(performanceMessage(rmse)).toBe('performance degraded: rmse 12.5000 above holdout 10.0000 by more than 5.0% over 70 labels');
  });
});
