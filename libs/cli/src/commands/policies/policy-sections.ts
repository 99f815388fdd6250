import { type monitorV1, type registryV1, type trainerV1 } from '@flywheel/contracts';
import { type PlatformState } from '../../project/platform-state';
import { monitoringShape, promotionShape, retrainingShape, trainingShape } from '../../project/project-shapes';

/** A model's parts that `policies show` prints and `policies set` writes, by their field in a project file's model. */
export const POLICY_SECTIONS = ['training', 'promotion', 'retraining', 'monitoring'] as const;
export type PolicySection = (typeof POLICY_SECTIONS)[number];

export interface ModelPolicies {
  readonly promotion: registryV1.PromotionPolicy | undefined;
  readonly retraining: trainerV1.RetrainingPolicy | undefined;
  readonly monitoring: monitorV1.MonitoringPolicy | undefined;
}

export async function readPolicies(platform: PlatformState, model: string): Promise<ModelPolicies> {
  const [promotion, retraining, monitoring] = await Promise.all([
    platform.promotionPolicy(model),
    platform.retrainingPolicy(model),
    platform.monitoringPolicy(model),
  ]);
  return { promotion, retraining, monitoring };
}

/** Each section in project-file terms, undefined where the platform has none (a model never given a training spec). */
export function policySections(policies: ModelPolicies): Record<PolicySection, Record<string, unknown> | undefined> {
  return {
    training: policies.retraining?.spec && trainingShape(policies.retraining.spec),
    promotion: policies.promotion && promotionShape(policies.promotion),
    retraining: policies.retraining && retrainingShape(policies.retraining),
    monitoring: policies.monitoring && monitoringShape(policies.monitoring),
  };
}
