import { type VersionFigures } from '../rollout/canary-judge';

/** What a served prediction needs to be scored when its label arrives. */
export interface ServedPrediction {
  readonly requestId: string;
  readonly version: number;
  readonly regression: boolean;
  /** The class label or the predicted number. */
  readonly output: number | string;
}

export type LabelValue = number | string | boolean;

export interface LiveStatsLimits {
  /** Latency samples kept per version (a sliding window). */
  readonly latencyWindow: number;
  /** Served predictions kept per deployment awaiting their label (oldest forgotten first). */
  readonly joinWindow: number;
}

/**
 * A version's counters in its deployment's current phase, for a sampler that takes differences
 * between two readings: the same `phase` means the second reading counts on from the first.
 */
export interface VersionTally {
  /** Identifies the deployment's phase; a new phase (counters restarted) has a new one. */
  readonly phase: number;
  readonly requests: number;
  readonly errors: number;
  /** Latencies recorded in the phase: one per answered request. */
  readonly latencies: number;
  readonly labelled: number;
  /** Over the labelled predictions of the phase; unset without labels. */
  readonly accuracy?: number;
  readonly rmse?: number;
}

let phases = 0;

class VersionCounters {
  requests = 0;
  errors = 0;
  labelled = 0;
  correct = 0;
  squaredErrorSum = 0;
  private readonly latencies: Float64Array;
  private filled = 0;
  private next = 0;
  /** Latencies recorded since the phase started, those the window forgot included. */
  recorded = 0;

  constructor(
    readonly version: number,
    window: number,
  ) {
    this.latencies = new Float64Array(window);
  }

  addLatency(ms: number): void {
    this.latencies[this.next] = ms;
    this.next = (this.next + 1) % this.latencies.length;
    this.filled = Math.min(this.filled + 1, this.latencies.length);
    this.recorded++;
  }

  /** The latencies recorded after the first `seen` of the phase (the window's newest at most), sorted. */
  latenciesAfter(seen: number): Float64Array {
    const count = Math.min(Math.max(this.recorded - seen, 0), this.filled);
    const size = this.latencies.length;
    const start = (this.next - count + size) % size;
    const out = new Float64Array(count);
    const first = Math.min(count, size - start);
    out.set(this.latencies.subarray(start, start + first));
    out.set(this.latencies.subarray(0, count - first), first);
    return out.sort();
  }

  quality(regression: boolean): { accuracy?: number; rmse?: number } {
    if (this.labelled === 0) return {};
    return regression ? { rmse: Math.sqrt(this.squaredErrorSum / this.labelled) } : { accuracy: this.correct / this.labelled };
  }

  figures(regression: boolean): VersionFigures {
    const sorted = this.latencies.slice(0, this.filled).sort();
    const quality = this.quality(regression);
    return {
      version: this.version,
      requests: this.requests,
      errors: this.errors,
      errorRate: this.requests === 0 ? 0 : this.errors / this.requests,
      latencyP50Ms: quantile(sorted, 0.5),
      latencyP95Ms: quantile(sorted, 0.95),
      latencyP99Ms: quantile(sorted, 0.99),
      labelled: this.labelled,
      ...quality,
    };
  }
}

class DeploymentWindow {
  readonly versions = new Map<number, VersionCounters>();
  /** Insertion-ordered, so the oldest prediction is the first key. */
  readonly awaitingLabel = new Map<string, ServedPrediction>();
  regression = false;
  /** Unique per window in this process: tells a sampler the counters restarted. */
  readonly id = ++phases;

  constructor(readonly phase: string) {}
}

/**
 * Per deployment and version: requests, errors, a window of latencies and, by joining the labels
 * of `flywheel.feedback` to the predictions this process served, accuracy or RMSE. Everything
 * restarts when the deployment enters a new phase (a canary starts, is promoted or rolled back),
 * because a judgement compares the two versions over the same period. Bounded in memory: the
 * latency window and the join window are fixed sizes.
 */
export class LiveStats {
  private readonly deployments = new Map<string, DeploymentWindow>();

  constructor(private readonly limits: LiveStatsLimits) {}

  /** Starts counting afresh when `phase` differs from the deployment's current one. */
  enterPhase(deployment: string, phase: string, regression: boolean): void {
    const current = this.deployments.get(deployment);
    if (current?.phase === phase) return;
    const window = new DeploymentWindow(phase);
    window.regression = regression;
    this.deployments.set(deployment, window);
  }

  forget(deployment: string): void {
    this.deployments.delete(deployment);
  }

  recordSuccess(deployment: string, prediction: ServedPrediction, latencyMs: number): void {
    const window = this.deployments.get(deployment);
    if (!window) return;
    const counters = this.counters(window, prediction.version);
    counters.requests++;
    counters.addLatency(latencyMs);
    window.awaitingLabel.delete(prediction.requestId);
    window.awaitingLabel.set(prediction.requestId, prediction);
    while (window.awaitingLabel.size > this.limits.joinWindow) {
      const oldest = window.awaitingLabel.keys().next().value as string;
      window.awaitingLabel.delete(oldest);
    }
  }

  recordError(deployment: string, version: number): void {
    const window = this.deployments.get(deployment);
    if (!window) return;
    const counters = this.counters(window, version);
    counters.requests++;
    counters.errors++;
  }

  /**
   * Scores a label against the prediction it belongs to. False when this process did not serve
   * that request in the current phase (or has forgotten it), or it was labelled already.
   */
  recordLabel(requestId: string, label: LabelValue): boolean {
    for (const window of this.deployments.values()) {
      const prediction = window.awaitingLabel.get(requestId);
      if (!prediction) continue;
      window.awaitingLabel.delete(requestId);
      const counters = this.counters(window, prediction.version);
      if (prediction.regression) {
        const truth = typeof label === 'number' ? label : Number(label);
        if (!Number.isFinite(truth) || typeof prediction.output !== 'number') return false;
        counters.labelled++;
        counters.squaredErrorSum += (prediction.output - truth) ** 2;
      } else {
        counters.labelled++;
        if (sameClass(prediction.output, label)) counters.correct++;
      }
      return true;
    }
    return false;
  }

  figures(deployment: string, version: number): VersionFigures {
    const window = this.deployments.get(deployment);
    const counters = window?.versions.get(version) ?? new VersionCounters(version, 1);
    return counters.figures(window?.regression ?? false);
  }

  /** The version's counters in the deployment's current phase; undefined when the deployment is not counted here. */
  tally(deployment: string, version: number): VersionTally | undefined {
    const window = this.deployments.get(deployment);
    if (!window) return undefined;
    const counters = window.versions.get(version);
    return {
      phase: window.id,
      requests: counters?.requests ?? 0,
      errors: counters?.errors ?? 0,
      latencies: counters?.recorded ?? 0,
      labelled: counters?.labelled ?? 0,
      ...counters?.quality(window.regression),
    };
  }

  /**
   * The latencies of `phase` recorded after its first `seen` (a tally's `latencies`), sorted: those
   * of one interval, or its newest `latencyWindow` when it answered more. Empty when the
   * deployment has moved on to another phase.
   */
  latenciesSince(deployment: string, version: number, phase: number, seen: number): Float64Array {
    const window = this.deployments.get(deployment);
    const counters = window?.id === phase ? window.versions.get(version) : undefined;
    return counters ? counters.latenciesAfter(seen) : new Float64Array(0);
  }

  private counters(window: DeploymentWindow, version: number): VersionCounters {
    let counters = window.versions.get(version);
    if (!counters) {
      counters = new VersionCounters(version, this.limits.latencyWindow);
      window.versions.set(version, counters);
    }
    return counters;
  }
}

/** Linear interpolation between closest ranks (numpy's default); 0 without samples. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/**
 * Whether a label names the predicted class. Labels come from any producer, so `1`, `"1"` and
 * `true` name the same class, as do `"0"`, `0` and `false`.
 */
export function sameClass(predicted: number | string, label: LabelValue): boolean {
  const forms = (value: LabelValue): string[] => {
    if (typeof value === 'boolean') return value ? ['true', '1'] : ['false', '0'];
    return [String(value)];
  };
  const predictedForms = forms(predicted);
  return forms(label).some((form) => predictedForms.includes(form));
}
