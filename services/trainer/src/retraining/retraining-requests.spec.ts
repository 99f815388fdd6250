import { commonV1, trainerV1 } from '@flywheel/contracts';
import { InvalidArgumentException } from '@flywheel/platform';
import { policyToProto } from './retraining.mapper';
import { parseRetrainingPolicy } from './retraining-requests';

const policy = trainerV1.RetrainingPolicy.fromPartial({
  modelName: 'fraud',
  enabled: true,
  cooldown: { seconds: 600, nanos: 0 },
  dailyBudget: 2,
  minNewRows: 100,
  onDrift: true,
  onPerformanceDegraded: false,
});

function violations(input: trainerV1.RetrainingPolicy | undefined): string[] {
  try {
    parseRetrainingPolicy(input);
  } catch (error) {
    if (error instanceof InvalidArgumentException) return error.violations.map((v) => `${v.field}: ${v.reason}`);
    throw error;
  }
  return [];
}

describe('parseRetrainingPolicy', () => {
  it('turns a policy into the settings the trainer keeps, and back', () => {
    const settings = parseRetrainingPolicy(policy);
    expect(settings).toEqual({
      modelName: 'fraud',
      enabled: true,
      cooldownMs: 600_000,
      dailyBudget: 2,
      minNewRows: 100,
      spec: null,
      onDrift: true,
      onPerformanceDegraded: false,
    });
    expect(policyToProto(settings)).toEqual(policy);
  });

  it("fills in the policy's model in its spec and checks the spec", () => {
    const spec = { featureView: 'claims-features', label: 'is_fraud', algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION };
    expect(parseRetrainingPolicy({ ...policy, spec: trainerV1.ModelSpec.fromPartial(spec) }).spec).toMatchObject({
      modelName: 'fraud',
      metric: 'accuracy',
    });
    expect(violations({ ...policy, spec: trainerV1.ModelSpec.fromPartial({ ...spec, modelName: 'other', metric: 'rmse' }) })).toEqual([
      `policy.spec.model_name: must be empty or "fraud", the policy's model`,
      'policy.spec.metric: must be one of accuracy, precision, recall, f1, roc_auc, log_loss for binary classification',
    ]);
  });

  it('names every bad field as the .proto spells it', () => {
    expect(violations(undefined)).toEqual(['policy: is required']);
    expect(violations({ ...policy, modelName: 'Fraud', cooldown: { seconds: -1, nanos: 0 }, dailyBudget: 0, minNewRows: -5 })).toEqual([
      'policy.model_name: must match [a-z][a-z0-9_-]{0,62}',
      'policy.cooldown: must not be negative',
      'policy.daily_budget: must be at least 1',
      'policy.min_new_rows: must be 0 or positive',
    ]);
  });
});
