import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { FLYWHEEL_METRICS, PlatformMetrics } from '@flywheel/platform';
import { type Counter, type Gauge, type Histogram } from 'prom-client';
import { type VersionFigures } from '../rollout/canary-judge';
import { LiveStats } from './live-stats';
import { ServedModels } from './served-models';

type VersionLabel = 'deployment' | 'model' | 'version';
type SeriesKey = string;

interface Series {
  readonly deployment: string;
  readonly model: string;
  readonly version: string;
}

/**
 * The deployer's model-level metrics: predictions, errors and latency per deployment, model and
 * version (and canary or stable), live accuracy/RMSE from the feedback this replica joined, and
 * canary conclusions. Series exist only for versions a deployment serves now: after each install
 * the series of versions no longer served are removed, so `version` is bounded by two values per
 * deployment (stable and canary). The live gauges are read from LiveStats at each scrape, so they
 * cover the deployment's current phase only (LiveStats restarts when a canary starts or ends).
 */
@Injectable()
export class ServingMetrics implements OnModuleDestroy {
  private readonly predictions: Counter<VersionLabel | 'canary'>;
  private readonly errors: Counter<VersionLabel | 'canary'>;
  private readonly latency: Histogram<VersionLabel>;
  private readonly conclusions: Counter<'deployment' | 'model' | 'decision'>;
  private readonly recorded = new Map<SeriesKey, Series>();
  private readonly stopListening: () => void;

  constructor(
    @Inject(PlatformMetrics) metrics: PlatformMetrics,
    @Inject(ServedModels) private readonly served: ServedModels,
    @Inject(LiveStats) private readonly stats: LiveStats,
  ) {
    this.predictions = metrics.counterOf(FLYWHEEL_METRICS.predictions);
    this.errors = metrics.counterOf(FLYWHEEL_METRICS.predictionErrors);
    this.latency = metrics.histogramOf(FLYWHEEL_METRICS.predictionLatency);
    this.conclusions = metrics.counterOf(FLYWHEEL_METRICS.canaryConclusions);
    metrics.gaugeOf(FLYWHEEL_METRICS.liveAccuracy, (gauge) => this.refreshLive(gauge, (f) => f.accuracy));
    metrics.gaugeOf(FLYWHEEL_METRICS.liveRmse, (gauge) => this.refreshLive(gauge, (f) => f.rmse));
    metrics.gaugeOf(FLYWHEEL_METRICS.liveLabelled, (gauge) => this.refreshLive(gauge, (f) => f.labelled));
    this.stopListening = this.served.onInstall(() => this.retainServed());
  }

  onModuleDestroy(): void {
    this.stopListening();
  }

  /** A prediction a version answered, and the time the request took. */
  recordAnswer(deployment: string, model: string, version: number, canary: boolean, seconds: number): void {
    const series = this.track(deployment, model, version);
    this.predictions.inc({ ...series, canary: String(canary) });
    this.latency.observe(series, seconds);
  }

  /** A prediction a version failed (the caller was not at fault). */
  recordError(deployment: string, model: string, version: number, canary: boolean): void {
    const series = this.track(deployment, model, version);
    this.predictions.inc({ ...series, canary: String(canary) });
    this.errors.inc({ ...series, canary: String(canary) });
  }

  /** The judge concluded a canary. */
  recordConclusion(deployment: string, model: string, decision: 'promote' | 'rollback'): void {
    this.conclusions.inc({ deployment, model, decision });
  }

  /** Removes the series of versions no deployment serves any more (after each install). */
  retainServed(): void {
    const live = new Set<SeriesKey>();
    for (const { deployment, stable, canary } of this.served.all())
      for (const v of [stable, canary]) if (v) live.add(keyOf(deployment.name, deployment.modelName, String(v.record.version)));
    for (const [key, series] of this.recorded) {
      if (live.has(key)) continue;
      this.recorded.delete(key);
      for (const canary of ['true', 'false']) {
        this.predictions.remove({ ...series, canary });
        this.errors.remove({ ...series, canary });
      }
      this.latency.remove({ ...series });
    }
  }

  private track(deployment: string, model: string, version: number): Series {
    const series = { deployment, model, version: String(version) };
    const key = keyOf(deployment, model, series.version);
    if (!this.recorded.has(key)) this.recorded.set(key, series);
    return series;
  }

  /** One live figure of each version served now, as this replica's feedback join scored it (none without a value). */
  private refreshLive(gauge: Gauge<VersionLabel>, figure: (figures: VersionFigures) => number | undefined): void {
    gauge.reset();
    for (const { deployment, stable, canary } of this.served.all()) {
      for (const v of [stable, canary]) {
        if (!v) continue;
        const value = figure(this.stats.figures(deployment.name, v.record.version));
        if (value !== undefined)
          gauge.set({ deployment: deployment.name, model: deployment.modelName, version: String(v.record.version) }, value);
      }
    }
  }
}

function keyOf(deployment: string, model: string, version: string): SeriesKey {
  return `${deployment}\u0000${model}\u0000${version}`;
}
