import { monitorV1 } from '@flywheel/contracts';
import { type EffectivePolicy } from '../policy/monitoring-policy';
import { type Judgement, type PerformanceJudgement } from '../windows/window-judge';

const { AlertKind } = monitorV1;

/** A problem a closed window shows, in the words its alert carries. */
export interface Finding {
  readonly kind: monitorV1.AlertKind;
  readonly message: string;
}

/**
 * What a judged window says about drift: the drift alerts it raises, and the kinds it shows
 * healthy again (whose open alerts it resolves). Prediction drift is only judged, hence only
 * resolved, once the version has a prediction baseline (the report then has a prediction part).
 */
export function driftFindings(judgement: Judgement, policy: EffectivePolicy): { found: Finding[]; healthy: monitorV1.AlertKind[] } {
  const { report } = judgement;
  const found: Finding[] = [];
  const healthy: monitorV1.AlertKind[] = [];
  if (judgement.datasetDrift) {
    found.push({
      kind: AlertKind.ALERT_KIND_DATA_DRIFT,
      message: `data drift: ${judgement.driftedFeatures.length} of ${report.features.length} features drifted (${judgement.driftedFeatures.join(', ')}); share ${report.driftedShare.toFixed(2)} >= ${policy.driftShareThreshold}`,
    });
  } else {
    healthy.push(AlertKind.ALERT_KIND_DATA_DRIFT);
  }
  if (judgement.predictionDrift && report.prediction) {
    found.push({
      kind: AlertKind.ALERT_KIND_PREDICTION_DRIFT,
      message: `prediction drift: output classes moved from the version's first window (${describeStatistic(report.prediction)})`,
    });
  } else if (report.prediction) {
    healthy.push(AlertKind.ALERT_KIND_PREDICTION_DRIFT);
  }
  return { found, healthy };
}

/** The message of a PerformanceDegraded alert: RMSE rises, accuracy drops. */
export function performanceMessage(performance: PerformanceJudgement): string {
  return performance.metric === 'rmse'
    ? `performance degraded: rmse ${performance.current.toFixed(4)} above holdout ${performance.reference.toFixed(4)} by more than ${(performance.maxDrop * 100).toFixed(1)}% over ${performance.labelled} labels`
    : `performance degraded: accuracy ${performance.current.toFixed(4)} is ${(performance.reference - performance.current).toFixed(4)} below holdout ${performance.reference.toFixed(4)} (max drop ${performance.maxDrop}) over ${performance.labelled} labels`;
}

function describeStatistic(f: monitorV1.FeatureDrift): string {
  return f.pValue !== undefined
    ? `p-value ${f.pValue.toExponential(2)} < ${f.threshold}`
    : `distance ${f.statistic.toFixed(3)} >= ${f.threshold}`;
}
