import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  type CounterSeries,
  FLYWHEEL_METRICS,
  type HistogramSeries,
  PlatformMetrics,
  type SeriesCounter,
  type SeriesHistogram,
} from '@flywheel/platform';
import { type Counter, type Gauge } from 'prom-client';
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

/** A served version's series, held so that a prediction only adds to them. */
interface VersionSeries {
  readonly labels: Series;
  readonly predictions: { readonly stable: CounterSeries; readonly canary: CounterSeries };
  readonly errors: { readonly stable: CounterSeries; readonly canary: CounterSeries };
  readonly latency: HistogramSeries;
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
  private readonly predictions: SeriesCounter<VersionLabel | 'canary'>;
  private readonly errors: SeriesCounter<VersionLabel | 'canary'>;
  private readonly latency: SeriesHistogram<VersionLabel>;
  private readonly conclusions: Counter<'deployment' | 'model' | 'decision'>;
  private readonly recorded = new Map<SeriesKey, VersionSeries>();
  private readonly stopListening: () => void;

  constructor(
    @Inject(PlatformMetrics) metrics: PlatformMetrics,
    @Inject(ServedModels) private readonly served: ServedModels,
    @Inject(LiveStats) private readonly stats: LiveStats,
  ) {
    this.predictions = metrics.seriesCounterOf(FLYWHEEL_METRICS.predictions);
    this.errors = metrics.seriesCounterOf(FLYWHEEL_METRICS.predictionErrors);
    this.latency = metrics.seriesHistogramOf(FLYWHEEL_METRICS.predictionLatency);
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
    (canary ? series.predictions.canary : series.predictions.stable).inc();
    series.latency.observe(seconds);
  }

  /** A prediction a version failed (the caller was not at fault). */
  recordError(deployment: string, model: string, version: number, canary: boolean): void {
    const series = this.track(deployment, model, version);
    (canary ? series.predictions.canary : series.predictions.stable).inc();
    (canary ? series.errors.canary : series.errors.stable).inc();
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
    for (const [key, { labels }] of this.recorded) {
      if (live.has(key)) continue;
      this.recorded.delete(key);
      for (const canary of ['true', 'false']) {
        this.predictions.remove({ ...labels, canary });
        this.errors.remove({ ...labels, canary });
      }
      this.latency.remove(labels);
    }
  }

  private track(deployment: string, model: string, version: number): VersionSeries {
    const key = keyOf(deployment, model, String(version));
    let series = this.recorded.get(key);
    if (!series) {
      const labels = { deployment, model, version: String(version) };
      series = {
        labels,
        predictions: {
          stable: this.predictions.series({ ...labels, canary: 'false' }),
          canary: this.predictions.series({ ...labels, canary: 'true' }),
        },
        errors: {
          stable: this.errors.series({ ...labels, canary: 'false' }),
          canary: this.errors.series({ ...labels, canary: 'true' }),
        },
        latency: this.latency.series(labels),
      };
      this.recorded.set(key, series);
    }
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
