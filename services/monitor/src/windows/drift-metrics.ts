import { Inject, Injectable } from '@nestjs/common';
import { FLYWHEEL_METRICS, PlatformMetrics } from '@flywheel/platform';
import { type Counter, type Gauge } from 'prom-client';
import { type Judgement } from './window-judge';

/**
 * The monitor's model-level metrics, set from each closed window's judgement once its
 * transaction has committed: reports by model and verdict, the latest report's drift share (and
 * the policy's threshold) and each feature's test statistic and p-value, and live performance
 * from joined labels. Labels are bounded: `model` by the models with reference profiles,
 * `feature` by the model's signature — a feature absent from the latest report loses its series.
 * A model's versions share its series: the latest closed window of any version sets them.
 */
@Injectable()
export class DriftMetrics {
  private readonly reports: Counter<'model' | 'dataset_drift'>;
  private readonly share: Gauge<'model'>;
  private readonly threshold: Gauge<'model'>;
  private readonly statistic: Gauge<'model' | 'feature'>;
  private readonly pValue: Gauge<'model' | 'feature'>;
  private readonly performance: Gauge<'model' | 'metric'>;
  private readonly performanceReference: Gauge<'model' | 'metric'>;
  private readonly degraded: Gauge<'model'>;
  /** Per model, the features its latest report named. */
  private readonly features = new Map<string, Set<string>>();
  /** Per model, the performance metric its latest judged window used. */
  private readonly metrics = new Map<string, string>();

  constructor(@Inject(PlatformMetrics) platform: PlatformMetrics) {
    this.reports = platform.counterOf(FLYWHEEL_METRICS.driftReports);
    this.share = platform.gaugeOf(FLYWHEEL_METRICS.driftShare);
    this.threshold = platform.gaugeOf(FLYWHEEL_METRICS.driftShareThreshold);
    this.statistic = platform.gaugeOf(FLYWHEEL_METRICS.featureDriftStatistic);
    this.pValue = platform.gaugeOf(FLYWHEEL_METRICS.featureDriftPValue);
    this.performance = platform.gaugeOf(FLYWHEEL_METRICS.modelPerformance);
    this.performanceReference = platform.gaugeOf(FLYWHEEL_METRICS.modelPerformanceReference);
    this.degraded = platform.gaugeOf(FLYWHEEL_METRICS.modelPerformanceDegraded);
  }

  /** A closed window's judgement, committed. */
  recordClosed(judgement: Judgement): void {
    const { report } = judgement;
    const model = report.modelName;
    this.reports.inc({ model, dataset_drift: String(judgement.datasetDrift) });
    this.share.set({ model }, report.driftedShare);
    this.threshold.set({ model }, report.driftShareThreshold);

    const named = new Set(report.features.map((f) => f.feature));
    for (const feature of this.features.get(model) ?? []) {
      if (named.has(feature)) continue;
      this.statistic.remove({ model, feature });
      this.pValue.remove({ model, feature });
    }
    this.features.set(model, named);
    for (const f of report.features) {
      this.statistic.set({ model, feature: f.feature }, f.statistic);
      if (f.pValue === undefined) this.pValue.remove({ model, feature: f.feature });
      else this.pValue.set({ model, feature: f.feature }, f.pValue);
    }

    // A window with too few labels judges no performance: the last judged one stands.
    const performance = judgement.performance;
    if (performance) {
      const previous = this.metrics.get(model);
      if (previous !== undefined && previous !== performance.metric) {
        this.performance.remove({ model, metric: previous });
        this.performanceReference.remove({ model, metric: previous });
      }
      this.metrics.set(model, performance.metric);
      this.performance.set({ model, metric: performance.metric }, performance.current);
      this.performanceReference.set({ model, metric: performance.metric }, performance.reference);
      this.degraded.set({ model }, performance.degraded ? 1 : 0);
    }
  }
}
