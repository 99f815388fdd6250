import { trainerV1 } from '@flywheel/contracts';

/** A model's retraining policy as the trainer keeps it. */
export interface PolicySettings {
  readonly modelName: string;
  readonly enabled: boolean;
  readonly cooldownMs: number;
  readonly dailyBudget: number;
  readonly minNewRows: number;
  /** Null: retrain the spec of the model's last successful run. */
  readonly spec: trainerV1.ModelSpec | null;
  readonly onDrift: boolean;
  readonly onPerformanceDegraded: boolean;
}

/** What a model gets until someone sets its policy: off, and cautious once switched on. */
export function defaultPolicy(modelName: string): PolicySettings {
  return {
    modelName,
    enabled: false,
    cooldownMs: 60 * 60 * 1000,
    dailyBudget: 3,
    minNewRows: 0,
    spec: null,
    onDrift: true,
    onPerformanceDegraded: true,
  };
}

/** What asks for retraining: the monitor's drift or degraded performance, or a TrainModel command another system sent. */
export type TriggerKind = 'drift' | 'performance' | 'command';

/** What the policy knows when an event asks it to retrain. */
export interface PolicyFacts {
  readonly now: Date;
  readonly trigger: TriggerKind;
  /** Why the trigger fired, in words (drifted features, the metric's drop). */
  readonly triggerSummary: string;
  /** When the policy last acted for this model. */
  readonly lastActedAt: Date | null;
  /** Policy-triggered runs started since the start of this UTC day. */
  readonly actedToday: number;
  /** Rows committed to the source dataset since the data of the last successful run; null without such a run. */
  readonly newRows: number | null;
  /** A run of the model is queued or running, or a command the policy sent has not become a run yet. */
  readonly inFlight: boolean;
  readonly hasSpec: boolean;
}

export interface PolicyVerdict {
  readonly acted: boolean;
  readonly declineReasons: trainerV1.DeclineReason[];
  readonly reasons: string[];
  /** End of the cooldown in force: the running one when declined for it, the new one when acting. */
  readonly cooldownUntil: Date | null;
}

/**
 * The guard of the loop: retrain only if the policy is on for this trigger, the cooldown is
 * over, the day's budget is not spent, enough new data arrived, nothing is training the model
 * already, and there is a spec to train. Every failed condition is reported, not just the first,
 * so an operator sees all that stands in the way.
 */
export function decideRetraining(policy: PolicySettings, facts: PolicyFacts): PolicyVerdict {
  const R = trainerV1.DeclineReason;
  if (!policy.enabled) {
    return declined(
      [R.DECLINE_REASON_POLICY_DISABLED],
      [facts.triggerSummary, `the retraining policy of ${policy.modelName} is disabled`],
      null,
    );
  }
  // A command is a request to retrain, not an observation: the policy has no switch for it, only its limits.
  const reacts = facts.trigger === 'drift' ? policy.onDrift : facts.trigger === 'performance' ? policy.onPerformanceDegraded : true;
  if (!reacts) {
    const what = facts.trigger === 'drift' ? 'drift' : 'degraded performance';
    return declined(
      [R.DECLINE_REASON_POLICY_DISABLED],
      [facts.triggerSummary, `the retraining policy of ${policy.modelName} does not react to ${what}`],
      null,
    );
  }

  const declineReasons: trainerV1.DeclineReason[] = [];
  const reasons: string[] = [];
  const runningCooldown = facts.lastActedAt ? new Date(facts.lastActedAt.getTime() + policy.cooldownMs) : null;
  const inCooldown = runningCooldown !== null && facts.now.getTime() < runningCooldown.getTime();
  if (inCooldown) {
    declineReasons.push(R.DECLINE_REASON_COOLDOWN);
    reasons.push(`cooldown until ${runningCooldown.toISOString()} (last retraining ${facts.lastActedAt!.toISOString()})`);
  }
  if (facts.actedToday >= policy.dailyBudget) {
    declineReasons.push(R.DECLINE_REASON_BUDGET_EXHAUSTED);
    reasons.push(`daily budget used: ${facts.actedToday} of ${policy.dailyBudget} runs today (UTC)`);
  }
  if (policy.minNewRows > 0 && facts.newRows !== null && facts.newRows < policy.minNewRows) {
    declineReasons.push(R.DECLINE_REASON_NOT_ENOUGH_NEW_DATA);
    reasons.push(`${facts.newRows} new rows since the last run's data, fewer than ${policy.minNewRows}`);
  }
  if (facts.inFlight) {
    declineReasons.push(R.DECLINE_REASON_ALREADY_RUNNING);
    reasons.push(`a run of ${policy.modelName} is already queued or running`);
  }
  if (!facts.hasSpec) {
    declineReasons.push(R.DECLINE_REASON_NO_SPEC);
    reasons.push(`no spec to train: the policy has none and ${policy.modelName} has no successful run`);
  }
  if (declineReasons.length > 0) return declined(declineReasons, [facts.triggerSummary, ...reasons], inCooldown ? runningCooldown : null);

  const cooldownUntil = new Date(facts.now.getTime() + policy.cooldownMs);
  return {
    acted: true,
    declineReasons: [],
    reasons: [
      facts.triggerSummary,
      facts.newRows === null
        ? 'no earlier run to measure new data against'
        : `${facts.newRows} new rows since the last run's data (minimum ${policy.minNewRows})`,
      `run ${facts.actedToday + 1} of ${policy.dailyBudget} today (UTC)`,
      policy.cooldownMs > 0 ? `next retraining not before ${cooldownUntil.toISOString()}` : 'no cooldown',
    ],
    cooldownUntil: policy.cooldownMs > 0 ? cooldownUntil : null,
  };
}

function declined(declineReasons: trainerV1.DeclineReason[], reasons: string[], cooldownUntil: Date | null): PolicyVerdict {
  return { acted: false, declineReasons, reasons, cooldownUntil };
}

/** Midnight UTC of the day `now` falls in: the budget's day. */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}
