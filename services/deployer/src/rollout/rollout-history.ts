import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Clock, InjectConfig } from '@flywheel/platform';
import { type DeployerConfig } from '../deployer.config';
import { LiveStats, quantile, type VersionTally } from '../serving/live-stats';
import { ServedModels } from '../serving/served-models';

export type VersionRoleName = 'stable' | 'canary';

/** One served version's figures over one interval (see RolloutSample in deployer.proto). */
export interface RolloutSampleRecord {
  /** When the sample was taken: the end of its interval. */
  readonly time: Date;
  readonly version: number;
  readonly role: VersionRoleName;
  /** Requests asked of the version in the interval (answered or failed), and the failed ones. */
  readonly requests: number;
  readonly errors: number;
  /** Latency percentiles of the requests answered in the interval; unset when it answered none. */
  readonly latencyP50Ms?: number;
  readonly latencyP95Ms?: number;
  /** Labelled predictions of the phase so far, and their accuracy or RMSE. */
  readonly labelled: number;
  readonly accuracy?: number;
  readonly rmse?: number;
}

/**
 * The rollout history: every ROLLOUT_HISTORY_INTERVAL_MS, one sample per deployment and version
 * served (stable, canary) of what LiveStats counted since the previous sample — requests and
 * errors as differences of the phase's counters, the latency percentiles of the latencies
 * recorded in between — and the labelled figures of the phase so far.
 *
 * A new phase restarts LiveStats' counters: the first sample of a phase then counts from the
 * phase's start, never a negative difference. At most ROLLOUT_HISTORY_SAMPLES per deployment,
 * oldest dropped; a version no longer served gets no more samples (its older ones age out). In
 * this process's memory, like the live figures.
 */
@Injectable()
export class RolloutHistory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly samples = new Map<string, RolloutSampleRecord[]>();
  /** The last reading per deployment and version, the start of the next interval. */
  private readonly readings = new Map<string, Map<number, VersionTally>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(ServedModels) private readonly served: ServedModels,
    @Inject(LiveStats) private readonly stats: LiveStats,
    @Inject(Clock) private readonly clock: Clock,
    @InjectConfig() private readonly config: DeployerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sample(), this.config.ROLLOUT_HISTORY_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A deployment's samples, oldest first; empty when this process has taken none. */
  of(deployment: string): readonly RolloutSampleRecord[] {
    return [...(this.samples.get(deployment) ?? [])];
  }

  /** Takes one sample of every version served now (the timer calls it; tests call it directly). */
  sample(): void {
    const time = this.clock.now();
    const servedNow = new Set<string>();
    for (const { deployment, stable, canary } of this.served.all()) {
      servedNow.add(deployment.name);
      const before = this.readings.get(deployment.name);
      const after = new Map<number, VersionTally>();
      for (const [role, version] of [
        ['stable', stable?.record.version],
        ['canary', canary?.record.version],
      ] as const) {
        if (version === undefined) continue;
        const tally = this.stats.tally(deployment.name, version);
        if (!tally) continue;
        after.set(version, tally);
        const previous = before?.get(version);
        const from = previous?.phase === tally.phase ? previous : undefined;
        this.add(deployment.name, this.sampleOf(deployment.name, role, version, tally, from, time));
      }
      this.readings.set(deployment.name, after);
    }
    for (const name of [...this.readings.keys()]) {
      if (servedNow.has(name)) continue;
      this.readings.delete(name);
      this.samples.delete(name);
    }
  }

  private sampleOf(
    deployment: string,
    role: VersionRoleName,
    version: number,
    tally: VersionTally,
    from: VersionTally | undefined,
    time: Date,
  ): RolloutSampleRecord {
    const latencies = this.stats.latenciesSince(deployment, version, tally.phase, from?.latencies ?? 0);
    return {
      time,
      version,
      role,
      requests: Math.max(tally.requests - (from?.requests ?? 0), 0),
      errors: Math.max(tally.errors - (from?.errors ?? 0), 0),
      ...(latencies.length > 0 ? { latencyP50Ms: quantile(latencies, 0.5), latencyP95Ms: quantile(latencies, 0.95) } : {}),
      labelled: tally.labelled,
      ...(tally.accuracy !== undefined ? { accuracy: tally.accuracy } : {}),
      ...(tally.rmse !== undefined ? { rmse: tally.rmse } : {}),
    };
  }

  private add(deployment: string, sample: RolloutSampleRecord): void {
    let samples = this.samples.get(deployment);
    if (!samples) this.samples.set(deployment, (samples = []));
    samples.push(sample);
    if (samples.length > this.config.ROLLOUT_HISTORY_SAMPLES) samples.splice(0, samples.length - this.config.ROLLOUT_HISTORY_SAMPLES);
  }
}
