import { backoffDelay, type BackoffPolicy } from '@flywheel/persistence';
import { EventDecodeError } from '@flywheel/contracts';

export interface RetryPolicy {
  /** Handler runs before the record is parked in the dead-letter topic (1 = no retry). */
  maxAttempts: number;
  backoff: BackoffPolicy;
}

/** 5 attempts, waiting 200, 400, 800, 1600 ms in between (capped at 10 s for longer policies). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  backoff: { baseDelayMs: 200, factor: 2, maxDelayMs: 10_000, jitter: 0 },
};

/**
 * Thrown by a handler for a record that can never succeed (it contradicts the handler's own
 * rules, not a passing condition): the record is parked at once instead of being retried.
 */
export class NonRetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

export type NextStep = { kind: 'retry'; delayMs: number } | { kind: 'dead-letter' };

/** After attempt number `attempt` failed with `error`: wait and retry, or park the record. */
export function nextStep(policy: RetryPolicy, attempt: number, error: unknown, random?: () => number): NextStep {
  if (error instanceof NonRetriableError || error instanceof EventDecodeError) return { kind: 'dead-letter' };
  if (attempt >= policy.maxAttempts) return { kind: 'dead-letter' };
  return { kind: 'retry', delayMs: backoffDelay(policy.backoff, attempt, random) };
}

/** The waits a record goes through before it is parked, for logs and documentation. */
export function retrySchedule(policy: RetryPolicy): number[] {
  return Array.from({ length: Math.max(0, policy.maxAttempts - 1) }, (_, i) => backoffDelay(policy.backoff, i + 1, () => 0.5));
}

export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const { maxAttempts, backoff } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
    throw new Error(`retry.maxAttempts: must be an integer from 1 to 100, got ${maxAttempts}`);
  }
  if (!(backoff.baseDelayMs >= 0) || !(backoff.factor >= 1) || !(backoff.maxDelayMs >= backoff.baseDelayMs)) {
    throw new Error('retry.backoff: need baseDelayMs ≥ 0, factor ≥ 1 and maxDelayMs ≥ baseDelayMs');
  }
  if (!(backoff.jitter >= 0 && backoff.jitter <= 1)) throw new Error('retry.backoff.jitter: must be within [0, 1]');
  return policy;
}
