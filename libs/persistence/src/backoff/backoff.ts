export interface BackoffPolicy {
  /** Delay before the first retry. */
  baseDelayMs: number;
  /** Each further retry waits this many times longer than the previous one. */
  factor: number;
  /** No single wait exceeds this. */
  maxDelayMs: number;
  /**
   * Share of each delay that is randomised (0 = exact schedule, 0.2 = ±20 %), so that many
   * instances failing together do not retry in lockstep.
   */
  jitter: number;
}

/** The wait before retry number `retry` (1 = the first retry). `random` is injectable for tests. */
export function backoffDelay(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be a positive integer, got ${retry}`);
  // Bounded exponent: past ~64 doublings every delay is the cap anyway, and Infinity would leak.
  const exact = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** Math.min(retry - 1, 64));
  if (policy.jitter <= 0) return Math.round(exact);
  const spread = exact * Math.min(policy.jitter, 1);
  return Math.max(0, Math.round(Math.min(policy.maxDelayMs, exact - spread + 2 * spread * random())));
}

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
