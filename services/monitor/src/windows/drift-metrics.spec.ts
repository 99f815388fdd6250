import { monitorV1 } from '@flywheel/contracts';
import { PlatformMetrics } from '@flywheel/platform';
import { DriftMetrics } from './drift-metrics';
import { type Judgement, type PerformanceJudgement } from './window-judge';

function judgement(
  features: Array<{ feature: string; statistic: number; pValue?: number; drifted: boolean }>,
  performance: PerformanceJudgement | null,
): Judgement {
  const drifted = features.filter((f) => f.drifted).map((f) => f.feature);
  const driftedShare = drifted.length / features.length;
  return {
    report: monitorV1.DriftReport.fromPartial({
      reportId: 'r',
      modelName: 'fraud',
      modelVersion: 1,
      features: features.map((f) => monitorV1.FeatureDrift.fromPartial(f)),
      driftedShare,
      driftShareThreshold: 0.5,
      datasetDrift: driftedShare >= 0.5,
    }),
    driftedFeatures: drifted,
    datasetDrift: driftedShare >= 0.5,
    predictionDrift: false,
    performance,
    newBaseline: null,
  };
}

describe('DriftMetrics', () => {
  it('keeps the series of the latest report’s features only, and the last judged performance', async () => {
    const platform = new PlatformMetrics({ defaultMetrics: false });
    const metrics = new DriftMetrics(platform);
    const read = (name: string) => platform.registry.getSingleMetricAsString(name);

    metrics.recordClosed(
      judgement(
        [
          { feature: 'amount', statistic: 0.31, drifted: true },
          { feature: 'region', statistic: 12.5, pValue: 0.001, drifted: true },
        ],
        { metric: 'accuracy', current: 0.71, reference: 0.9, maxDrop: 0.05, labelled: 200, degraded: true },
      ),
    );
    expect(await read('flywheel_drift_share')).toContain('flywheel_drift_share{model="fraud"} 1');
    expect(await read('flywheel_feature_drift_statistic')).toContain(
      'flywheel_feature_drift_statistic{model="fraud",feature="amount"} 0.31',
    );
    const pValues = await read('flywheel_feature_drift_p_value');
    expect(pValues).toContain('flywheel_feature_drift_p_value{model="fraud",feature="region"} 0.001');
    // A distance test gives no p-value: no series rather than a made-up one.
    expect(pValues).not.toContain('feature="amount"');
    expect(await read('flywheel_model_performance')).toContain('flywheel_model_performance{model="fraud",metric="accuracy"} 0.71');
    expect(await read('flywheel_model_performance_reference')).toContain(
      'flywheel_model_performance_reference{model="fraud",metric="accuracy"} 0.9',
    );
    expect(await read('flywheel_model_performance_degraded')).toContain('flywheel_model_performance_degraded{model="fraud"} 1');

    // The next version's signature has no `region`; its window had too few labels to judge.
    metrics.recordClosed(judgement([{ feature: 'amount', statistic: 0.02, drifted: false }], null));
    expect(await read('flywheel_drift_share')).toContain('flywheel_drift_share{model="fraud"} 0');
    expect(await read('flywheel_feature_drift_statistic')).not.toContain('feature="region"');
    expect(await read('flywheel_feature_drift_p_value')).not.toContain('feature="region"');
    expect(await read('flywheel_model_performance_degraded')).toContain('flywheel_model_performance_degraded{model="fraud"} 1');
    const reports = await read('flywheel_drift_reports_total');
    expect(reports).toContain('flywheel_drift_reports_total{model="fraud",dataset_drift="true"} 1');
    expect(reports).toContain('flywheel_drift_reports_total{model="fraud",dataset_drift="false"} 1');

    // A judged healthy window clears the flag.
    metrics.recordClosed(
      judgement([{ feature: 'amount', statistic: 0.02, drifted: false }], {
        metric: 'accuracy',
        current: 0.89,
        reference: 0.9,
        maxDrop: 0.05,
        labelled: 200,
        degraded: false,
      }),
    );
    expect(await read('flywheel_model_performance_degraded')).toContain('flywheel_model_performance_degraded{model="fraud"} 0');
  });
});
