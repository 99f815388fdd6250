import { Inject, Injectable } from '@nestjs/common';
import { defaultPolicy, type EffectivePolicy } from './monitoring-policy';
import { PolicyRepository } from './policy.repository';

/** Monitoring policies: a model without one is judged by the contract's defaults. */
@Injectable()
export class MonitoringPolicyService {
  constructor(@Inject(PolicyRepository) private readonly policies: PolicyRepository) {}

  async policyOf(modelName: string): Promise<EffectivePolicy> {
    return (await this.policies.find(modelName)) ?? defaultPolicy(modelName);
  }

  async setPolicy(policy: EffectivePolicy): Promise<EffectivePolicy> {
    await this.policies.save(policy);
    return policy;
  }
}
