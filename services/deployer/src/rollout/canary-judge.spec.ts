import { type CanaryPolicyValues } from '../deployments/deployment';
import { judgeCanary, type JudgeInput, type VersionFigures } from './canary-judge';

const policy: CanaryPolicyValues = {
  trafficShare: 0.1,
  minRequests: 100,
  maxErrorRateIncrease: 0.01,
  maxLatencyRatio: 1.5,
  maxAccuracyDrop: 0.02,
  minLabelled: 50,
  maxDurationMs: 3_600_000,
};

function figures(version: number, overrides: Partial<VersionFigures> = {}): VersionFigures {
  return {
    version,
    requests: 1000,
    errors: 0,
    errorRate: 0,
    latencyP50Ms: 3,
    latencyP95Ms: 5,
    latencyP99Ms: 8,
    labelled: 0,
    ...overrides,
  };
}

function judge(stable: Partial<VersionFigures>, canary: Partial<VersionFigures>, extra: Partial<JudgeInput> = {}) {
  return judgeCanary({
    deployment: 'fraud',
    policy,
    stable: figures(1, stable),
    canary: figures(2, canary),
    elapsedMs: 60_000,
    latencyFloorMs: 1,
    ...extra,
  });
}

describe('judgeCanary', () => {
  it('promotes a canary as good as the stable version, listing every check', () => {
    const verdict = judge({ errors: 10, errorRate: 0.01 }, { requests: 120, errors: 1, errorRate: 1 / 120, latencyP95Ms: 6 });
    expect(verdict.decision).toBe('promote');
    expect(verdict).toMatchObject({ reason: 'canary v2 passed every check after 120 requests' });
    expect(verdict.checks).toEqual([
      'traffic: canary v2 120/100 requests, stable v1 1000/100 — ok',
      'canary error rate 0.008 <= stable 0.010 + 0.010 — ok',
      'canary p95 latency 6.00 ms <= 1.5 × 5.00 ms — ok',
      'accuracy not judged: canary 0/50, stable 0/50 labelled — ok',
    ]);
  });

  it('rolls back a canary that errors more than the stable version plus the tolerance', () => {
    const verdict = judge({ errors: 10, errorRate: 0.01 }, { requests: 200, errors: 16, errorRate: 0.08 });
    expect(verdict).toMatchObject({ decision: 'rollback', reason: 'canary error rate 0.080 > stable 0.010 + 0.010' });
  });

  it('rolls back a slower canary, and takes the floor for sub-millisecond stable latencies', () => {
    expect(judge({ latencyP95Ms: 4 }, { latencyP95Ms: 12 })).toMatchObject({
      decision: 'rollback',
      reason: 'canary p95 latency 12.0 ms > 1.5 × 4.00 ms',
    });
    // 0.3 ms against 0.1 ms is three times slower, and no reason to roll back.
    expect(judge({ latencyP95Ms: 0.1 }, { latencyP95Ms: 0.3 }).decision).toBe('promote');
  });

  it('rolls back a less accurate canary once both versions have enough labels', () => {
    const verdict = judge({ labelled: 400, accuracy: 0.9 }, { labelled: 60, accuracy: 0.8 });
    expect(verdict).toMatchObject({
      decision: 'rollback',
      reason: 'canary accuracy 0.800 < stable 0.900 - 0.020 (canary 60/50, stable 400/50 labelled)',
    });
    expect(judge({ labelled: 400, accuracy: 0.9 }, { labelled: 60, accuracy: 0.885 }).decision).toBe('promote');
  });

  it('does not judge accuracy on too few labels', () => {
    const verdict = judge({ labelled: 400, accuracy: 0.9 }, { labelled: 20, accuracy: 0.5 });
    expect(verdict.decision).toBe('promote');
    expect(verdict.checks).toContain('accuracy not judged: canary 20/50, stable 400/50 labelled — ok');
  });

  it('judges regression by RMSE, relative to the stable version', () => {
    expect(judge({ labelled: 100, rmse: 10 }, { labelled: 100, rmse: 10.1 }).decision).toBe('promote');
    expect(judge({ labelled: 100, rmse: 10 }, { labelled: 100, rmse: 11 })).toMatchObject({
      decision: 'rollback',
      reason: 'canary rmse 11.000 > stable 10.000 × (1 + 0.020) (canary 100/50, stable 100/50 labelled)',
    });
  });

  it('keeps waiting without enough requests on either version, even if the canary looks bad', () => {
    const fewCanary = judge({}, { requests: 99, errors: 50, errorRate: 0.5 });
    expect(fewCanary).toEqual({
      decision: 'wait',
      summary: 'waiting for traffic: canary v2 99/100 requests, stable v1 1000/100',
      checks: ['traffic: canary v2 99/100 requests, stable v1 1000/100 — waiting'],
    });
    expect(judge({ requests: 10 }, {}).decision).toBe('wait');
  });

  it('rolls back when the canary cannot get enough traffic within the maximum duration', () => {
    const verdict = judge({}, { requests: 40 }, { elapsedMs: 3_600_000 });
    expect(verdict).toMatchObject({
      decision: 'rollback',
      reason: 'not enough traffic to judge within 1h: canary v2 40/100 requests, stable v1 1000/100',
    });
  });

  it('names every failed check in the reason', () => {
    const verdict = judge({}, { errors: 100, errorRate: 0.1, latencyP95Ms: 50 });
    expect(verdict.decision).toBe('rollback');
    expect(verdict.decision !== 'wait' && verdict.reason).toBe(
      'canary error rate 0.100 > stable 0.000 + 0.010; canary p95 latency 50.0 ms > 1.5 × 5.00 ms',
    );
  });
});
