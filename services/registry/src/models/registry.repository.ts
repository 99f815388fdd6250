import { Injectable } from '@nestjs/common';
import { type EntityManager, In, LessThan, MoreThan } from 'typeorm';
import { AuditEntryEntity } from '../audit/audit-entry.entity';
import { PromotionPolicyEntity } from '../promotion/promotion-policy.entity';
import { ModelAliasEntity } from './model-alias.entity';
import { ModelVersionEntity } from './model-version.entity';
import { ModelEntity } from './model.entity';

export interface NewModel {
  readonly name: string;
  readonly description: string;
  readonly tags: Record<string, string>;
  readonly ownerTeam: string;
}

export interface AuditFilter {
  readonly modelName?: string;
  readonly action?: string;
  readonly version?: number;
}

export type NewAuditEntry = Omit<AuditEntryEntity, 'seq'>;

/**
 * The registry's state. Every method takes the caller's `EntityManager`, so a use case reads,
 * locks and writes inside one transaction together with the events it publishes.
 */
export abstract class RegistryRepository {
  /** Inserts the model unless it exists; true when this call created it. */
  abstract insertModelIfMissing(manager: EntityManager, model: NewModel): Promise<boolean>;
  abstract findModel(manager: EntityManager, name: string): Promise<ModelEntity | undefined>;
  /** The model row locked until the transaction ends: alias moves of one model happen one at a time. */
  abstract lockModel(manager: EntityManager, name: string): Promise<ModelEntity | undefined>;
  abstract saveModel(manager: EntityManager, model: ModelEntity): Promise<void>;
  /** Models by name after `after`, at most `limit`. */
  abstract listModels(manager: EntityManager, after: string | undefined, limit: number): Promise<ModelEntity[]>;

  abstract findVersion(manager: EntityManager, modelName: string, version: number): Promise<ModelVersionEntity | undefined>;
  abstract findVersionByRun(manager: EntityManager, runId: string): Promise<ModelVersionEntity | undefined>;
  /** Versions newest first, below `before`, at most `limit`. */
  abstract listVersions(
    manager: EntityManager,
    modelName: string,
    before: number | undefined,
    limit: number,
  ): Promise<ModelVersionEntity[]>;
  abstract insertVersion(manager: EntityManager, version: ModelVersionEntity): Promise<void>;

  abstract aliasesOf(manager: EntityManager, modelNames: readonly string[]): Promise<ModelAliasEntity[]>;
  abstract setAlias(manager: EntityManager, modelName: string, alias: string, version: number): Promise<void>;
  abstract deleteAlias(manager: EntityManager, modelName: string, alias: string): Promise<void>;

  abstract findPolicy(manager: EntityManager, modelName: string): Promise<PromotionPolicyEntity | undefined>;
  abstract savePolicy(manager: EntityManager, policy: Omit<PromotionPolicyEntity, 'updateTime'>): Promise<void>;

  abstract appendAudit(manager: EntityManager, entry: NewAuditEntry): Promise<void>;
  /** Entries matching the filter, newest first below `beforeSeq` (or oldest first above `afterSeq`). */
  abstract listAudit(
    manager: EntityManager,
    filter: AuditFilter,
    cursor: { readonly beforeSeq?: string; readonly oldestFirst?: boolean },
    limit: number,
  ): Promise<AuditEntryEntity[]>;
}

@Injectable()
export class TypeOrmRegistryRepository extends RegistryRepository {
  async insertModelIfMissing(manager: EntityManager, model: NewModel): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(ModelEntity)
      .values({ name: model.name, description: model.description, tags: model.tags, ownerTeam: model.ownerTeam })
      .orIgnore()
      .returning(['name'])
      .execute();
    return (result.raw as unknown[]).length === 1;
  }

  async findModel(manager: EntityManager, name: string): Promise<ModelEntity | undefined> {
    return (await manager.findOne(ModelEntity, { where: { name } })) ?? undefined;
  }

  async lockModel(manager: EntityManager, name: string): Promise<ModelEntity | undefined> {
    return (await manager.findOne(ModelEntity, { where: { name }, lock: { mode: 'pessimistic_write' } })) ?? undefined;
  }

  async saveModel(manager: EntityManager, model: ModelEntity): Promise<void> {
    await manager.save(ModelEntity, model);
  }

  listModels(manager: EntityManager, after: string | undefined, limit: number): Promise<ModelEntity[]> {
    return manager.find(ModelEntity, {
      where: after === undefined ? {} : { name: MoreThan(after) },
      order: { name: 'ASC' },
      take: limit,
    });
  }

  async findVersion(manager: EntityManager, modelName: string, version: number): Promise<ModelVersionEntity | undefined> {
    return (await manager.findOne(ModelVersionEntity, { where: { modelName, version } })) ?? undefined;
  }

  async findVersionByRun(manager: EntityManager, runId: string): Promise<ModelVersionEntity | undefined> {
    return (await manager.findOne(ModelVersionEntity, { where: { runId } })) ?? undefined;
  }

  listVersions(manager: EntityManager, modelName: string, before: number | undefined, limit: number): Promise<ModelVersionEntity[]> {
    return manager.find(ModelVersionEntity, {
      where: before === undefined ? { modelName } : { modelName, version: LessThan(before) },
      order: { version: 'DESC' },
      take: limit,
    });
  }

  async insertVersion(manager: EntityManager, version: ModelVersionEntity): Promise<void> {
    await manager.insert(ModelVersionEntity, version);
  }

  aliasesOf(manager: EntityManager, modelNames: readonly string[]): Promise<ModelAliasEntity[]> {
    if (modelNames.length === 0) return Promise.resolve([]);
    return manager.find(ModelAliasEntity, { where: { modelName: In([...modelNames]) }, order: { alias: 'ASC' } });
  }

  async setAlias(manager: EntityManager, modelName: string, alias: string, version: number): Promise<void> {
    await manager.upsert(ModelAliasEntity, { modelName, alias, version, updateTime: new Date() }, ['modelName', 'alias']);
  }

  async deleteAlias(manager: EntityManager, modelName: string, alias: string): Promise<void> {
    await manager.delete(ModelAliasEntity, { modelName, alias });
  }

  async findPolicy(manager: EntityManager, modelName: string): Promise<PromotionPolicyEntity | undefined> {
    return (await manager.findOne(PromotionPolicyEntity, { where: { modelName } })) ?? undefined;
  }

  async savePolicy(manager: EntityManager, policy: Omit<PromotionPolicyEntity, 'updateTime'>): Promise<void> {
    await manager.upsert(PromotionPolicyEntity, { ...policy, updateTime: new Date() }, ['modelName']);
  }

  async appendAudit(manager: EntityManager, entry: NewAuditEntry): Promise<void> {
    await manager.insert(AuditEntryEntity, entry);
  }

  listAudit(
    manager: EntityManager,
    filter: AuditFilter,
    cursor: { readonly beforeSeq?: string; readonly oldestFirst?: boolean },
    limit: number,
  ): Promise<AuditEntryEntity[]> {
    const query = manager.createQueryBuilder(AuditEntryEntity, 'entry');
    if (filter.modelName) query.andWhere('entry.model_name = :modelName', { modelName: filter.modelName });
    if (filter.action) query.andWhere('entry.action = :action', { action: filter.action });
    if (filter.version !== undefined) query.andWhere('entry.version = :version', { version: filter.version });
    if (cursor.beforeSeq !== undefined) query.andWhere('entry.seq < :beforeSeq', { beforeSeq: cursor.beforeSeq });
    return query
      .orderBy('entry.seq', cursor.oldestFirst ? 'ASC' : 'DESC')
      .take(limit)
      .getMany();
  }
}
