import { durationFromMillis, durationToMillis, monitorV1 } from '@flywheel/contracts';
import { type ColumnDriftOptions, type StatTestName } from '@flywheel/ml';
import { parseRequest } from '@flywheel/platform';
import { z } from 'zod';

const { DriftTest } = monitorV1;

/** The proto's documented defaults: what a field left at 0 (or unset) means. */
export const POLICY_DEFAULTS = {
  windowSize: 500,
  windowDurationMs: 60 * 60 * 1000,
  minWindowSize: 100,
  driftShareThreshold: 0.5,
  maxAccuracyDrop: 0.05,
  minLabelled: 50,
} as const;

/** A policy with every default applied: what the windows are actually judged by. */
export interface EffectivePolicy {
  readonly modelName: string;
  readonly windowSize: number;
  readonly windowDurationMs: number;
  readonly minWindowSize: number;
  readonly featureTests: ReadonlyArray<{ feature: string; test: StatTestName | null; threshold: number }>;
  readonly driftShareThreshold: number;
  readonly correctForMultipleTests: boolean;
  readonly maxAccuracyDrop: number;
  readonly minLabelled: number;
}

export const MODEL_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const modelNameSchema = z.string().regex(MODEL_NAME_PATTERN, 'must match [a-z][a-z0-9_-]{0,62}');

const TEST_NAMES: Readonly<Record<number, StatTestName | null>> = {
  [DriftTest.DRIFT_TEST_UNSPECIFIED]: null,
  [DriftTest.DRIFT_TEST_KS]: 'ks',
  [DriftTest.DRIFT_TEST_CHI_SQUARE]: 'chisquare',
  [DriftTest.DRIFT_TEST_PSI]: 'psi',
  [DriftTest.DRIFT_TEST_WASSERSTEIN]: 'wasserstein',
  [DriftTest.DRIFT_TEST_JENSEN_SHANNON]: 'jensenshannon',
  [DriftTest.DRIFT_TEST_Z]: 'z',
};

/** The contract's name of a library test. */
export function driftTestOf(test: StatTestName): monitorV1.DriftTest {
  switch (test) {
    case 'ks':
      return DriftTest.DRIFT_TEST_KS;
    case 'chisquare':
      return DriftTest.DRIFT_TEST_CHI_SQUARE;
    case 'psi':
      return DriftTest.DRIFT_TEST_PSI;
    case 'wasserstein':
      return DriftTest.DRIFT_TEST_WASSERSTEIN;
    case 'jensenshannon':
      return DriftTest.DRIFT_TEST_JENSEN_SHANNON;
    case 'z':
      return DriftTest.DRIFT_TEST_Z;
  }
}

/** The contract's default threshold of a test (PSI's is 0.2, unlike the library's 0.1). */
export function defaultThreshold(test: StatTestName): number {
  if (test === 'psi') return 0.2;
  return test === 'ks' || test === 'chisquare' || test === 'z' ? 0.05 : 0.1;
}

const featureTestSchema = z.object({
  feature: z.string().min(1, 'must not be empty'),
  test: z.number().refine((t) => t in TEST_NAMES, 'must be a known DriftTest'),
  threshold: z.number().min(0, 'must be at least 0'),
});

const policySchema = z
  .object({
    modelName: modelNameSchema,
    windowSize: z.number().int().min(0, 'must be at least 0').max(1_000_000, 'must be at most 1000000'),
    windowDuration: z
      .object({ seconds: z.number(), nanos: z.number() })
      .optional()
      .refine((d) => d === undefined || durationToMillis(d) > 0, 'must be positive'),
    minWindowSize: z.number().int().min(0, 'must be at least 0'),
    featureTests: z
      .array(featureTestSchema)
      .refine((tests) => new Set(tests.map((t) => t.feature)).size === tests.length, 'names a feature twice'),
    driftShareThreshold: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1'),
    correctForMultipleTests: z.boolean(),
    maxAccuracyDrop: z.number().min(0, 'must be at least 0'),
    minLabelled: z.number().int().min(0, 'must be at least 0'),
  })
  .refine((p) => (p.minWindowSize || POLICY_DEFAULTS.minWindowSize) <= (p.windowSize || POLICY_DEFAULTS.windowSize), {
    path: ['minWindowSize'],
    message: 'must not exceed windowSize',
  });

/** Validates a SetMonitoringPolicy request and returns the policy as it will be stored (defaults applied). */
export function parsePolicy(policy: unknown): monitorV1.MonitoringPolicy {
  const parsed = parseRequest(policySchema, policy, 'policy');
  return toStoredPolicy(
    effectivePolicy({
      ...parsed,
      windowDuration: parsed.windowDuration,
      featureTests: parsed.featureTests.map((t) => ({ feature: t.feature, test: t.test as monitorV1.DriftTest, threshold: t.threshold })),
    }),
  );
}

/** Defaults applied to a stored (or default) policy. */
export function effectivePolicy(policy: monitorV1.MonitoringPolicy): EffectivePolicy {
  const windowSize = policy.windowSize || POLICY_DEFAULTS.windowSize;
  return {
    modelName: policy.modelName,
    windowSize,
    windowDurationMs: durationToMillis(policy.windowDuration, POLICY_DEFAULTS.windowDurationMs) || POLICY_DEFAULTS.windowDurationMs,
    minWindowSize: Math.min(policy.minWindowSize || POLICY_DEFAULTS.minWindowSize, windowSize),
    featureTests: policy.featureTests.map((t) => {
      const test = TEST_NAMES[t.test] ?? null;
      return { feature: t.feature, test, threshold: t.threshold || (test ? defaultThreshold(test) : 0) };
    }),
    driftShareThreshold: policy.driftShareThreshold || POLICY_DEFAULTS.driftShareThreshold,
    correctForMultipleTests: policy.correctForMultipleTests,
    maxAccuracyDrop: policy.maxAccuracyDrop || POLICY_DEFAULTS.maxAccuracyDrop,
    minLabelled: policy.minLabelled || POLICY_DEFAULTS.minLabelled,
  };
}

export function defaultPolicy(modelName: string): EffectivePolicy {
  return effectivePolicy(monitorV1.MonitoringPolicy.fromPartial({ modelName }));
}

export function toStoredPolicy(policy: EffectivePolicy): monitorV1.MonitoringPolicy {
  return monitorV1.MonitoringPolicy.fromPartial({
    modelName: policy.modelName,
    windowSize: policy.windowSize,
    windowDuration: durationFromMillis(policy.windowDurationMs),
    minWindowSize: policy.minWindowSize,
    featureTests: policy.featureTests.map((t) => ({
      feature: t.feature,
      test: t.test ? driftTestOf(t.test) : DriftTest.DRIFT_TEST_UNSPECIFIED,
      threshold: t.threshold,
    })),
    driftShareThreshold: policy.driftShareThreshold,
    correctForMultipleTests: policy.correctForMultipleTests,
    maxAccuracyDrop: policy.maxAccuracyDrop,
    minLabelled: policy.minLabelled,
  });
}

/** Per-feature overrides of the automatic test choice, as the drift library takes them. */
export function columnOverrides(policy: EffectivePolicy): Record<string, ColumnDriftOptions> {
  const columns: Record<string, ColumnDriftOptions> = {};
  for (const t of policy.featureTests) {
    if (t.test) columns[t.feature] = { test: t.test, threshold: t.threshold };
    else if (t.threshold > 0) columns[t.feature] = { threshold: t.threshold };
  }
  return columns;
}
