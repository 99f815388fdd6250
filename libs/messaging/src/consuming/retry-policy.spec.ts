import { EventDecodeError } from '@flywheel/contracts';
import { DEFAULT_RETRY_POLICY, nextStep, NonRetriableError, retrySchedule, validateRetryPolicy } from './retry-policy';

describe('retry policy', () => {
  it('waits 200, 400, 800, 1600 ms by default, then parks after the fifth attempt', () => {
    expect(retrySchedule(DEFAULT_RETRY_POLICY)).toEqual([200, 400, 800, 1600]);
    const steps = [1, 2, 3, 4, 5].map((attempt) => nextStep(DEFAULT_RETRY_POLICY, attempt, new Error('db timeout')));
    expect(steps).toEqual([
      { kind: 'retry', delayMs: 200 },
      { kind: 'retry', delayMs: 400 },
      { kind: 'retry', delayMs: 800 },
      { kind: 'retry', delayMs: 1600 },
      { kind: 'dead-letter' },
    ]);
  });

  it('caps long schedules', () => {
    const policy = { maxAttempts: 10, backoff: { ...DEFAULT_RETRY_POLICY.backoff, maxDelayMs: 1_000 } };
    expect(retrySchedule(policy)).toEqual([200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000]);
  });

  it('parks poison and non-retriable failures at once', () => {
    expect(nextStep(DEFAULT_RETRY_POLICY, 1, new NonRetriableError('label column missing'))).toEqual({ kind: 'dead-letter' });
    expect(nextStep(DEFAULT_RETRY_POLICY, 1, new EventDecodeError('missing-header', 'ce_type', 'header is missing'))).toEqual({
      kind: 'dead-letter',
    });
  });

  it('refuses a policy that would never park or never wait sensibly', () => {
    expect(() => validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, backoff: { ...DEFAULT_RETRY_POLICY.backoff, factor: 0.5 } })).toThrow(
      /backoff/,
    );
    expect(validateRetryPolicy(DEFAULT_RETRY_POLICY)).toBe(DEFAULT_RETRY_POLICY);
  });
});
