import { durationFromMillis, trainerV1 } from '@flywheel/contracts';
import { type PolicySettings } from './retraining-policy';
import { type DecisionRecord } from './retraining.repository';

export function policyToProto(policy: PolicySettings): trainerV1.RetrainingPolicy {
  return trainerV1.RetrainingPolicy.fromPartial({
    modelName: policy.modelName,
    enabled: policy.enabled,
    cooldown: durationFromMillis(policy.cooldownMs),
    dailyBudget: policy.dailyBudget,
    minNewRows: policy.minNewRows,
    spec: policy.spec ?? undefined,
    onDrift: policy.onDrift,
    onPerformanceDegraded: policy.onPerformanceDegraded,
  });
}

export function decisionToProto(decision: DecisionRecord): trainerV1.RetrainingDecision {
  return trainerV1.RetrainingDecision.fromPartial({
    decisionId: decision.id,
    modelName: decision.modelName,
    outcome:
      decision.outcome === 'ACTED' ? trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED : trainerV1.DecisionOutcome.DECISION_OUTCOME_DECLINED,
    declineReasons: decision.declineReasons,
    reasons: decision.reasons,
    triggerEventId: decision.triggerEventId,
    triggerEventType: decision.triggerEventType,
    runId: decision.runId ?? '',
    newRows: decision.newRows,
    runsToday: decision.runsToday,
    cooldownUntil: decision.cooldownUntil ?? undefined,
    decideTime: decision.decidedAt,
  });
}
