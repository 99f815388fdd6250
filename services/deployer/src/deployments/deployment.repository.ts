import { Inject, Injectable } from '@nestjs/common';
import { deployerV1 } from '@flywheel/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import { type DeploymentRecord, type DeploymentStateName, type ModelVersionRecord } from './deployment';
import { DeploymentChangeEntity } from './deployment-change.entity';
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
  /**
   * Appends a change (its DeploymentChanged event, by the event's id) and drops the deployment's
   * changes beyond its newest `keep`, in the caller's transaction (the one writing the change).
   */
  abstract appendChange(change: StoredDeploymentChange, keep: number, manager: EntityManager): Promise<void>;
  /**
   * Up to `limit` changes matching the filter (every field given), newest first (change time,
   * then id, both descending), after `after` (exclusive) when given.
   */
  abstract listChanges(
    filter: DeploymentChangeFilter,
    after: DeploymentChangeCursor | undefined,
    limit: number,
  ): Promise<StoredDeploymentChange[]>;
}

/** A change as kept: the event's id and the DeploymentChanged it published. */
export interface StoredDeploymentChange {
  readonly id: string;
  readonly change: deployerV1.DeploymentChanged;
}

/** Which changes to list: of a deployment, of a model's deployments, or both (at least one is set). */
export interface DeploymentChangeFilter {
  readonly deployment?: string;
  readonly modelName?: string;
}

/** The place of a change in the list: its change time (ISO) and id. */
export type DeploymentChangeCursor = readonly [changeTime: string, id: string];

/** The change time a stored change is ordered by (its event's). */
export function changeTimeOf(change: deployerV1.DeploymentChanged): Date {
  return change.changeTime ?? new Date(0);
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

  async appendChange(stored: StoredDeploymentChange, keep: number, manager: EntityManager): Promise<void> {
    const { change } = stored;
    await manager.insert(DeploymentChangeEntity, {
      id: stored.id,
      deployment: change.deployment,
      modelName: change.modelName,
      changeTime: changeTimeOf(change),
      change: Buffer.from(deployerV1.DeploymentChanged.encode(change).finish()),
    });
    // Read down the deployment's index past its newest `keep`: at most `keep` + the few appended
    // since the last prune, and usually nothing to delete.
    await manager.query(
      `DELETE FROM deployment_changes WHERE id IN (
         SELECT id FROM deployment_changes WHERE deployment = $1 ORDER BY change_time DESC, id DESC OFFSET $2)`,
      [change.deployment, keep],
    );
  }

  async listChanges(
    filter: DeploymentChangeFilter,
    after: DeploymentChangeCursor | undefined,
    limit: number,
  ): Promise<StoredDeploymentChange[]> {
    const query = this.dataSource.manager.createQueryBuilder(DeploymentChangeEntity, 'c').select(['c.id', 'c.change']);
    if (filter.deployment !== undefined) query.andWhere('c.deployment = :deployment', { deployment: filter.deployment });
    if (filter.modelName !== undefined) query.andWhere('c.model_name = :modelName', { modelName: filter.modelName });
    if (after) {
      const [afterTime, afterId] = after;
      // The first condition alone bounds the index scan; the second breaks ties of change time by id.
      query.andWhere('c.change_time <= :afterTime AND (c.change_time < :afterTime OR c.id < :afterId)', {
        afterTime: new Date(afterTime),
        afterId,
      });
    }
    const rows = await query.orderBy('c.change_time', 'DESC').addOrderBy('c.id', 'DESC').limit(limit).getMany();
    return rows.map((row) => ({ id: row.id, change: deployerV1.DeploymentChanged.decode(row.change) }));
  }
}

function toRecord(row: DeploymentEntity): DeploymentRecord {
  return { ...row, state: row.state as DeploymentStateName };
}

function toEntity(record: DeploymentRecord): DeploymentEntity {
  return Object.assign(new DeploymentEntity(), record);
}
