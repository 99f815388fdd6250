import { Inject, Injectable } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { DataSource, type EntityManager } from 'typeorm';

/** Where monitoring policies are kept (a port, so the window logic is tested without a database). */
export abstract class PolicyRepository {
  abstract find(modelName: string, manager?: EntityManager): Promise<monitorV1.MonitoringPolicy | null>;
  abstract save(policy: monitorV1.MonitoringPolicy): Promise<void>;
}

@Injectable()
export class PostgresPolicyRepository extends PolicyRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async find(modelName: string, manager: EntityManager = this.dataSource.manager): Promise<monitorV1.MonitoringPolicy | null> {
    const [row] = await manager.query(`SELECT policy FROM monitoring_policies WHERE model_name = $1`, [modelName]);
    return row ? monitorV1.MonitoringPolicy.fromPartial(row.policy) : null;
  }

  async save(policy: monitorV1.MonitoringPolicy): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO monitoring_policies (model_name, policy, update_time) VALUES ($1, $2, now())
       ON CONFLICT (model_name) DO UPDATE SET policy = EXCLUDED.policy, update_time = now()`,
      [policy.modelName, JSON.stringify(policy)],
    );
  }
}
