import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type DeploymentRecord, type DeploymentStateName, type ModelVersionRecord } from './deployment';
import { DeploymentEntity } from './deployment.entity';
import { ModelVersionEntity } from './model-version.entity';

/**
 * Where deployments and known model versions live. Methods that take a `manager` run in the
 * caller's transaction (with the events the change publishes); without one they read committed
 * state.
 */
export abstract class DeploymentRepository {
  abstract get(name: string, manager?: EntityManager): Promise<DeploymentRecord | undefined>;
  /** The row, locked until the transaction ends, so two decisions on it cannot interleave. */
  abstract getForUpdate(name: string, manager: EntityManager): Promise<DeploymentRecord | undefined>;
  /** Deployments of `modelName` that follow `alias`, locked for the transaction. */
  abstract findFollowingForUpdate(modelName: string, alias: string, manager: EntityManager): Promise<DeploymentRecord[]>;
  /** By name, after `afterName` (exclusive), at most `limit`. */
  abstract list(afterName: string, limit: number): Promise<DeploymentRecord[]>;
  abstract listAll(): Promise<DeploymentRecord[]>;
  abstract insert(record: DeploymentRecord, manager: EntityManager): Promise<void>;
  /** Writes `record` (whose revision is the new one) over `record.revision - 1`; false if the row moved on. */
  abstract update(record: DeploymentRecord, manager: EntityManager): Promise<boolean>;
  /** Records a version; a version already known is left as it is (versions are immutable). */
  abstract saveVersion(version: ModelVersionRecord, manager: EntityManager): Promise<void>;
  abstract getVersion(modelName: string, version: number, manager?: EntityManager): Promise<ModelVersionRecord | undefined>;
}

@Injectable()
export class TypeOrmDeploymentRepository extends DeploymentRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async get(name: string, manager: EntityManager = this.dataSource.manager): Promise<DeploymentRecord | undefined> {
    const row = await manager.findOne(DeploymentEntity, { where: { name } });
    return row ? toRecord(row) : undefined;
  }

  async getForUpdate(name: string, manager: EntityManager): Promise<DeploymentRecord | undefined> {
    const row = await manager
      .createQueryBuilder(DeploymentEntity, 'd')
      .setLock('pessimistic_write')
      .where('d.name = :name', { name })
      .getOne();
    return row ? toRecord(row) : undefined;
  }

  async findFollowingForUpdate(modelName: string, alias: string, manager: EntityManager): Promise<DeploymentRecord[]> {
    const rows = await manager
      .createQueryBuilder(DeploymentEntity, 'd')
      .setLock('pessimistic_write')
      .where('d.model_name = :modelName AND d.alias = :alias', { modelName, alias })
      .orderBy('d.name')
      .getMany();
    return rows.map(toRecord);
  }

  async list(afterName: string, limit: number): Promise<DeploymentRecord[]> {
    const rows = await this.dataSource.manager
      .createQueryBuilder(DeploymentEntity, 'd')
      .where('d.name > :afterName', { afterName })
      .orderBy('d.name')
      .limit(limit)
      .getMany();
    return rows.map(toRecord);
  }

  async listAll(): Promise<DeploymentRecord[]> {
    const rows = await this.dataSource.manager.find(DeploymentEntity, { order: { name: 'ASC' } });
    return rows.map(toRecord);
  }

  async insert(record: DeploymentRecord, manager: EntityManager): Promise<void> {
    await manager.insert(DeploymentEntity, toEntity(record));
  }

  async update(record: DeploymentRecord, manager: EntityManager): Promise<boolean> {
    const { name: _name, createdAt: _createdAt, ...changes } = toEntity(record);
    const result = await manager.update(DeploymentEntity, { name: record.name, revision: record.revision - 1 }, changes);
    return (result.affected ?? 0) === 1;
  }

  async saveVersion(version: ModelVersionRecord, manager: EntityManager): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(ModelVersionEntity)
      .values({ ...version })
      .orIgnore()
      .execute();
  }

  async getVersion(
    modelName: string,
    version: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ModelVersionRecord | undefined> {
    const row = await manager.findOne(ModelVersionEntity, { where: { modelName, version } });
    return row ? { ...row } : undefined;
  }
}

function toRecord(row: DeploymentEntity): DeploymentRecord {
  return { ...row, state: row.state as DeploymentStateName };
}

function toEntity(record: DeploymentRecord): DeploymentEntity {
  return Object.assign(new DeploymentEntity(), record);
}
