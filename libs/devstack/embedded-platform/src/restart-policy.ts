export interface RestartPolicyOptions {
  /** Wait before the first restart; doubled for each crash that follows. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A service healthy this long has recovered: its next crash waits `initialDelayMs` again. */
  resetAfterHealthyMs: number;
  /** More crashes than this within `windowMs` and the service is left stopped. */
  maxCrashes: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  resetAfterHealthyMs: 60_000,
  maxCrashes: 5,
  windowMs: 10 * 60_000,
};

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; crashes: number; windowMs: number };

/**
 * When to restart one crashed service: exponential backoff (1 s doubling to 30 s by default),
 * back to the shortest wait once it has stayed healthy for a while, and a give-up after too
 * many crashes in a window — a service that cannot start would otherwise loop forever, hiding
 * its error. Pure: the caller passes the clock.
 */
export class RestartPolicy {
  private crashes: number[] = [];
  private consecutive = 0;
  private healthySince?: number;

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {
    const { initialDelayMs, maxDelayMs, maxCrashes, windowMs } = options;
    if (!(initialDelayMs > 0 && maxDelayMs >= initialDelayMs && maxCrashes >= 1 && windowMs > 0)) {
      throw new Error(`invalid restart policy ${JSON.stringify(options)}`);
    }
  }

  /** The service answers its health check again (at `now`). */
  healthy(now: number): void {
    this.healthySince ??= now;
  }

  /** The service exited unasked (at `now`): restart it after `delayMs`, or give up. */
  crashed(now: number): RestartDecision {
    const { initialDelayMs, maxDelayMs, resetAfterHealthyMs, maxCrashes, windowMs } = this.options;
    if (this.healthySince !== undefined && now - this.healthySince >= resetAfterHealthyMs) this.consecutive = 0;
    this.healthySince = undefined;
    this.crashes = [...this.crashes.filter((at) => now - at < windowMs), now];
    if (this.crashes.length > maxCrashes) return { restart: false, crashes: this.crashes.length, windowMs };
    const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** this.consecutive);
    this.consecutive += 1;
    return { restart: true, delayMs };
  }
}
