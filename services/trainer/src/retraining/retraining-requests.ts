import { durationToMillis, trainerV1 } from '@flywheel/contracts';
import { InvalidArgumentException, parseRequest } from '@flywheel/platform';
import { z } from 'zod';
import { MODEL_NAME_PATTERN, validateSpec } from '../runs/model-spec';
import { type PolicySettings } from './retraining-policy';

/**
 * A RetrainingPolicy as SetRetrainingPolicy carries it, checked field by field (named as the
 * .proto spells them) and turned into the settings the trainer keeps.
 */
export const retrainingPolicySchema = z.looseObject({}).transform((input, ctx): PolicySettings => {
  const policy = trainerV1.RetrainingPolicy.fromPartial(input as unknown as trainerV1.RetrainingPolicy);
  const bad = (field: string, message: string): void => ctx.addIssue({ code: 'custom', path: [field], message });
  if (!MODEL_NAME_PATTERN.test(policy.modelName)) bad('model_name', 'must match [a-z][a-z0-9_-]{0,62}');
  const cooldownMs = durationToMillis(policy.cooldown, 0);
  if (!(cooldownMs >= 0)) bad('cooldown', 'must not be negative');
  if (!Number.isInteger(policy.dailyBudget) || policy.dailyBudget < 1) bad('daily_budget', 'must be at least 1');
  if (!Number.isSafeInteger(policy.minNewRows) || policy.minNewRows < 0) bad('min_new_rows', 'must be 0 or positive');
  let spec: trainerV1.ModelSpec | null = null;
  if (policy.spec !== undefined) {
    const given = { ...policy.spec, modelName: policy.spec.modelName || policy.modelName };
    if (given.modelName !== policy.modelName) bad('spec.model_name', `must be empty or "${policy.modelName}", the policy's model`);
    try {
      spec = validateSpec(given, 'spec').spec;
    } catch (error) {
      if (!(error instanceof InvalidArgumentException)) throw error;
      for (const violation of error.violations) bad(violation.field, violation.reason);
    }
  }
  return {
    modelName: policy.modelName,
    enabled: policy.enabled,
    cooldownMs,
    dailyBudget: policy.dailyBudget,
    minNewRows: policy.minNewRows,
    spec,
    onDrift: policy.onDrift,
    onPerformanceDegraded: policy.onPerformanceDegraded,
  };
});

export function parseRetrainingPolicy(policy: trainerV1.RetrainingPolicy | undefined): PolicySettings {
  return parseRequest(retrainingPolicySchema, policy, 'policy');
}
