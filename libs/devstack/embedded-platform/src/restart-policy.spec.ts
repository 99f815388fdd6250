import { RestartPolicy, type RestartPolicyOptions } from './restart-policy';

const OPTIONS: RestartPolicyOptions = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  resetAfterHealthyMs: 60_000,
  maxCrashes: 5,
  windowMs: 600_000,
};

const delayOf = (decision: ReturnType<RestartPolicy['crashed']>) => (decision.restart ? decision.delayMs : 'gave up');

describe('RestartPolicy', () => {
  it('doubles the wait from 1 s for each crash, up to 30 s', () => {
    const policy = new RestartPolicy({ ...OPTIONS, maxCrashes: 100 });
    const delays = Array.from({ length: 8 }, (_, i) => delayOf(policy.crashed(i * 1000)));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('waits the shortest time again after the service stayed healthy long enough', () => {
    const policy = new RestartPolicy(OPTIONS);
    policy.crashed(0);
    policy.crashed(1000);
    expect(delayOf(policy.crashed(2000))).toBe(4000);
    policy.healthy(10_000);
    expect(delayOf(policy.crashed(70_000))).toBe(1000);
  });

  it('keeps backing off when the service crashes again before it has been healthy for long', () => {
    const policy = new RestartPolicy(OPTIONS);
    policy.crashed(0);
    policy.healthy(5000);
    expect(delayOf(policy.crashed(20_000))).toBe(2000);
    // Healthy since 30 s, crashed at 89.999 s: not yet a minute.
    policy.healthy(30_000);
    expect(delayOf(policy.crashed(89_999))).toBe(4000);
  });

  it('gives up after more than the allowed crashes within the window, even with resets between them', () => {
    const policy = new RestartPolicy(OPTIONS);
    for (let i = 0; i < 5; i++) {
      expect(policy.crashed(i * 100_000)).toEqual({ restart: true, delayMs: 1000 });
      policy.healthy(i * 100_000 + 5000);
    }
    expect(policy.crashed(500_000)).toEqual({ restart: false, crashes: 6, windowMs: 600_000 });
  });

  it('forgets crashes older than the window', () => {
    const policy = new RestartPolicy({ ...OPTIONS, maxCrashes: 2, windowMs: 60_000 });
    policy.crashed(0);
    policy.crashed(1000);
    // The crash at 0 is out of the window: two crashes in it, not three.
    expect(policy.crashed(60_500)).toEqual({ restart: true, delayMs: 4000 });
    expect(policy.crashed(60_800)).toEqual({ restart: false, crashes: 3, windowMs: 60_000 });
  });

  it('rejects a policy that could never restart or would spin', () => {
    expect(() => new RestartPolicy({ ...OPTIONS, initialDelayMs: 0 })).toThrow(/invalid restart policy/);
    expect(() => new RestartPolicy({ ...OPTIONS, maxDelayMs: 500 })).toThrow(/invalid restart policy/);
    expect(() => new RestartPolicy({ ...OPTIONS, maxCrashes: 0 })).toThrow(/invalid restart policy/);
  });
});
