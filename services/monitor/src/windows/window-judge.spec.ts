import { commonV1, monitorV1 } from '@flywheel/contracts';
import { type DataProfile, PROFILE_VERSION } from '@flywheel/ml';
import { defaultPolicy } from '../policy/monitoring-policy';
import { judgeWindow, type Reference } from './window-judge';
import { emptyWindow } from './window-state';

const profile: DataProfile = { version: PROFILE_VERSION, rows: 100, features: [] };
const reference = (predictionBaseline: Record<string, number>): Reference => ({
  modelName: 'churn',
  modelVersion: 1,
  task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
  profile,
  columnTypes: {},
  source: null,
  metric: null,
  referenceValue: null,
  predictionBaseline,
});

function judge(baseline: Record<string, number>, outputs: Record<string, number>) {
  const window = emptyWindow(profile);
  for (const [key, n] of Object.entries(outputs)) window.outputs.set(key, n);
  window.predictions = Object.values(outputs).reduce((a, b) => a + b, 0);
  const at = new Date('2026-12-01T00:00:00Z');
  return judgeWindow({
    reference: reference(baseline),
    policy: defaultPolicy('churn'),
    window,
    reportId: 'r1',
    start: at,
    end: at,
    now: at,
  });
}

describe('prediction drift', () => {
  it('names the two-proportion z-test it ran on two output classes and reports |z| with its p-value', () => {
    // Shares 0.9 → 0.1 of 100 each: pooled p = 0.5, so z = 0.8 / sqrt(0.25 · (1/100 + 1/100)) = 11.3137 in size.
    const judged = judge({ true: 90, false: 10 }, { true: 10, false: 90 });
    const row = judged.report.prediction!;
    expect(row.test).toBe(monitorV1.DriftTest.DRIFT_TEST_Z);
    expect(row.statistic).toBeCloseTo(0.8 / Math.sqrt(0.25 * 0.02), 3);
    expect(row.pValue).toBeLessThan(1e-20);
    expect([row.drifted, judged.predictionDrift]).toEqual([true, true]);
    // The other way round is the same size of change.
    expect(judge({ true: 10, false: 90 }, { true: 90, false: 10 }).report.prediction!.statistic).toBeCloseTo(row.statistic, 9);
  });

  it('judges an unchanged output mix as no drift', () => {
    const row = judge({ true: 50, false: 50 }, { true: 52, false: 48 }).report.prediction!;
    expect(row.test).toBe(monitorV1.DriftTest.DRIFT_TEST_Z);
    expect(row.statistic).toBeGreaterThanOrEqual(0);
    expect(row.drifted).toBe(false);
  });
});
