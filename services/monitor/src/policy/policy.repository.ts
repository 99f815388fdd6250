import { Inject, Injectable } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import { type EffectivePolicy, effectivePolicy, toStoredPolicy } from './monitoring-policy';
import { MonitoringPolicyEntity } from './monitoring-policy.entity';

/** Where monitoring policies are kept (a port, so the window logic is tested without a database). */
export abstract class PolicyRepository {
  /** The model's policy, defaults applied; null when none was set. */
  abstract find(modelName: string, manager?: EntityManager): Promise<EffectivePolicy | null>;
  abstract save(policy: EffectivePolicy): Promise<void>;
}

@Injectable()
export class TypeOrmPolicyRepository extends PolicyRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async find(modelName: string, manager: EntityManager = this.dataSource.manager): Promise<EffectivePolicy | null> {
    const row = await manager.findOne(MonitoringPolicyEntity, { where: { modelName } });
    return row ? effectivePolicy(monitorV1.MonitoringPolicy.fromPartial(row.policy)) : null;
  }

  async save(policy: EffectivePolicy): Promise<void> {
    // Kept as the contract's message, defaults filled in: what GetMonitoringPolicy answers.
    await this.dataSource.manager
      .createQueryBuilder()
      .insert()
      .into(MonitoringPolicyEntity)
      .values({ modelName: policy.modelName, policy: toStoredPolicy(policy), updateTime: () => 'now()' })
      .orUpdate(['policy', 'update_time'], ['model_name'])
      .execute();
  }
}
