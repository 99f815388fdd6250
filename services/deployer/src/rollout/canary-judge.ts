import { type CanaryPolicyValues } from '../deployments/deployment';

/** The live figures of one version, as GetRolloutStatus shows them and the judge reads them. */
export interface VersionFigures {
  readonly version: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
  readonly labelled: number;
  /** Over labelled predictions (classification); undefined without labels. */
  readonly accuracy?: number;
  /** Over labelled predictions (regression); undefined without labels. */
  readonly rmse?: number;
}

export interface JudgeInput {
  readonly deployment: string;
  readonly policy: CanaryPolicyValues;
  readonly stable: VersionFigures;
  readonly canary: VersionFigures;
  /** Time since the canary started. */
  readonly elapsedMs: number;
  /** p95 latencies below this count as this in the latency ratio. */
  readonly latencyFloorMs: number;
}

export type Verdict =
  | { readonly decision: 'wait'; readonly summary: string; readonly checks: readonly string[] }
  | { readonly decision: 'promote' | 'rollback'; readonly reason: string; readonly summary: string; readonly checks: readonly string[] };

interface Check {
  readonly passed: boolean;
  readonly text: string;
}

/**
 * Decides a canary: keep waiting until both versions have served enough requests (rolling back
 * if that takes longer than the policy allows), then compare error rate, p95 latency and, where
 * enough labels arrived, accuracy (RMSE for regression). Any failed check rolls back; all passed
 * promotes. Pure, so every branch is tested with made-up figures.
 */
export function judgeCanary(input: JudgeInput): Verdict {
  const { policy, stable, canary } = input;
  const traffic = `canary v${canary.version} ${canary.requests}/${policy.minRequests} requests, stable v${stable.version} ${stable.requests}/${policy.minRequests}`;
  if (canary.requests < policy.minRequests || stable.requests < policy.minRequests) {
    if (input.elapsedMs >= policy.maxDurationMs) {
      const reason = `not enough traffic to judge within ${formatDuration(policy.maxDurationMs)}: ${traffic}`;
      return { decision: 'rollback', reason, summary: reason, checks: [`traffic: ${traffic} — FAILED (time is up)`] };
    }
    return { decision: 'wait', summary: `waiting for traffic: ${traffic}`, checks: [`traffic: ${traffic} — waiting`] };
  }

  const checks: Check[] = [errorRateCheck(input), latencyCheck(input), qualityCheck(input)];
  const lines = [`traffic: ${traffic} — ok`, ...checks.map((c) => `${c.text} — ${c.passed ? 'ok' : 'FAILED'}`)];
  const failed = checks.filter((c) => !c.passed);
  if (failed.length > 0) {
    const reason = failed.map((c) => c.text).join('; ');
    return { decision: 'rollback', reason, summary: `rolling back canary v${canary.version}: ${reason}`, checks: lines };
  }
  const reason = `canary v${canary.version} passed every check after ${canary.requests} requests`;
  return { decision: 'promote', reason, summary: reason, checks: lines };
}

function errorRateCheck({ policy, stable, canary }: JudgeInput): Check {
  const limit = stable.errorRate + policy.maxErrorRateIncrease;
  const passed = canary.errorRate <= limit + 1e-12;
  return {
    passed,
    text: `canary error rate ${fixed(canary.errorRate)} ${passed ? '<=' : '>'} stable ${fixed(stable.errorRate)} + ${fixed(policy.maxErrorRateIncrease)}`,
  };
}

function latencyCheck({ policy, stable, canary, latencyFloorMs }: JudgeInput): Check {
  const reference = Math.max(stable.latencyP95Ms, latencyFloorMs);
  const passed = canary.latencyP95Ms <= policy.maxLatencyRatio * reference;
  const floor = reference > stable.latencyP95Ms ? ` (floor; stable is ${ms(stable.latencyP95Ms)})` : '';
  return {
    passed,
    text: `canary p95 latency ${ms(canary.latencyP95Ms)} ${passed ? '<=' : '>'} ${policy.maxLatencyRatio} × ${ms(reference)}${floor}`,
  };
}

function qualityCheck({ policy, stable, canary }: JudgeInput): Check {
  const enough = canary.labelled >= policy.minLabelled && stable.labelled >= policy.minLabelled;
  const labels = `canary ${canary.labelled}/${policy.minLabelled}, stable ${stable.labelled}/${policy.minLabelled} labelled`;
  if (canary.accuracy !== undefined && stable.accuracy !== undefined && enough) {
    const limit = stable.accuracy - policy.maxAccuracyDrop;
    const passed = canary.accuracy >= limit - 1e-12;
    return {
      passed,
      text: `canary accuracy ${fixed(canary.accuracy)} ${passed ? '>=' : '<'} stable ${fixed(stable.accuracy)} - ${fixed(policy.maxAccuracyDrop)} (${labels})`,
    };
  }
  if (canary.rmse !== undefined && stable.rmse !== undefined && enough) {
    const limit = stable.rmse * (1 + policy.maxAccuracyDrop);
    const passed = canary.rmse <= limit + 1e-12;
    return {
      passed,
      text: `canary rmse ${fixed(canary.rmse)} ${passed ? '<=' : '>'} stable ${fixed(stable.rmse)} × (1 + ${fixed(policy.maxAccuracyDrop)}) (${labels})`,
    };
  }
  // Labels are optional: without enough of them the canary is judged on errors and latency alone.
  return { passed: true, text: `accuracy not judged: ${labels}` };
}

function fixed(value: number): string {
  return value.toFixed(3);
}

function ms(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
}

function formatDuration(totalMs: number): string {
  if (totalMs % 3_600_000 === 0) return `${totalMs / 3_600_000}h`;
  if (totalMs % 60_000 === 0) return `${totalMs / 60_000}min`;
  if (totalMs % 1000 === 0) return `${totalMs / 1000}s`;
  return `${totalMs} ms`;
}
