import { monitorV1 } from '@flywheel/contracts';
import { InvalidArgumentException } from '@flywheel/platform';
import { columnOverrides, effectivePolicy, parsePolicy } from './monitoring-policy';

describe('monitoring policy', () => {
  it('fills the contract’s defaults, PSI’s threshold being 0.2', () => {
    const stored = parsePolicy(
      monitorV1.MonitoringPolicy.fromPartial({
        modelName: 'fraud',
        featureTests: [{ feature: 'amount', test: monitorV1.DriftTest.DRIFT_TEST_PSI }],
      }),
    );
    expect(stored).toMatchObject({
      windowSize: 500,
      minWindowSize: 100,
      driftShareThreshold: 0.5,
      maxAccuracyDrop: 0.05,
      minLabelled: 50,
      windowDuration: { seconds: 3600, nanos: 0 },
    });
    expect(columnOverrides(effectivePolicy(stored))).toEqual({ amount: { test: 'psi', threshold: 0.2 } });
  });

  it('names every bad field', () => {
    const bad = monitorV1.MonitoringPolicy.fromPartial({
      modelName: 'Fraud',
      windowSize: -1,
      driftShareThreshold: 2,
      featureTests: [{ feature: 'a', test: 99 as monitorV1.DriftTest }, { feature: 'a' }],
    });
    let caught: unknown;
    try {
      parsePolicy(bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentException);
    const fields = (caught as InvalidArgumentException).violations.map((v) => v.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'policy.modelName',
        'policy.windowSize',
        'policy.driftShareThreshold',
        'policy.featureTests[0].test',
        'policy.featureTests',
      ]),
    );
    expect(() => parsePolicy(null)).toThrow('policy: is required');
  });

  it('keeps the minimum window within the window size', () => {
    expect(() => parsePolicy(monitorV1.MonitoringPolicy.fromPartial({ modelName: 'fraud', windowSize: 50 }))).toThrow(
      'policy.minWindowSize: must not exceed windowSize',
    );
    expect(parsePolicy(monitorV1.MonitoringPolicy.fromPartial({ modelName: 'fraud', windowSize: 50, minWindowSize: 20 }))).toMatchObject({
      windowSize: 50,
      minWindowSize: 20,
    });
  });
});
