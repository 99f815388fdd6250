import { backoffDelay, type BackoffPolicy, sleep } from './backoff';

const policy: BackoffPolicy = { baseDelayMs: 200, factor: 2, maxDelayMs: 1_000, jitter: 0 };

describe('backoffDelay', () => {
  it('doubles from the base delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(policy, retry))).toEqual([200, 400, 800, 1000, 1000, 1000]);
  });

  it('stays finite for absurd retry counts', () => {
    expect(backoffDelay(policy, 10_000)).toBe(1000);
  });

  it('spreads delays by the jitter share, never past the cap', () => {
    const jittery = { ...policy, jitter: 0.5 };
    expect(backoffDelay(jittery, 2, () => 0)).toBe(200);
    expect(backoffDelay(jittery, 2, () => 1)).toBe(600);
    expect(backoffDelay(jittery, 9, () => 1)).toBe(1000);
  });

  it('refuses a retry number below 1', () => {
    expect(() => backoffDelay(policy, 0)).toThrow(RangeError);
  });
});

describe('sleep', () => {
  it('ends early when its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = sleep(10_000, controller.signal);
    controller.abort();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
