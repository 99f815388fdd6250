import { Inject, Injectable } from '@nestjs/common';
import { registryV1 } from '@flywheel/contracts';
import { TransactionRunner } from '@flywheel/persistence';
import { type Page, pageOf, type PageResponseLike } from '@flywheel/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { type AuditEntryEntity } from '../audit/audit-entry.entity';
import { AuditLog, callerActor } from '../audit/audit-log';
import { effectivePolicy, POLICY_DEFAULTS, type PolicyDefaults } from '../promotion/promotion-policy';
import { AliasService } from './alias.service';
import { type ModelAliasEntity } from './model-alias.entity';
import { type ModelVersionEntity } from './model-version.entity';
import { type ModelEntity } from './model.entity';
import { auditActionName } from './model-mapping';
import { RegistryException, RegistryExceptionCode } from './registry.exception';
import { RegistryRepository } from './registry.repository';
import {
  type AliasAssignment,
  type AliasDeletion,
  type AuditQuery,
  type ModelDefinition,
  type PolicySettings,
  type VersionRef,
} from './registry-requests';

/** A model or version with the aliases of its model as they are now. */
export interface WithAliases<T> {
  readonly item: T;
  readonly aliases: ModelAliasEntity[];
}

export interface Listed<T> {
  readonly items: T[];
  readonly aliases: ModelAliasEntity[];
  readonly page: PageResponseLike;
}

/** The registry's API use cases, on domain inputs; the gRPC controller translates to and from them. */
@Injectable()
export class ModelsService {
  constructor(
    @Inject(RegistryRepository) private readonly repository: RegistryRepository,
    @Inject(AliasService) private readonly aliases: AliasService,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(POLICY_DEFAULTS) private readonly defaults: PolicyDefaults,
  ) {}

  /**
   * Creates a model owned by the caller's team. Versions of a model nobody created are
   * registered from its first completed run (as MLflow's `register_model` does); the first
   * CreateModel for such a model claims it, setting its owner, description and tags.
   */
  async createModel(definition: ModelDefinition): Promise<WithAliases<ModelEntity> & { created: boolean }> {
    const actor = callerActor();
    const model = { name: definition.name, description: definition.description, tags: { ...definition.tags }, ownerTeam: actor.team };
    return this.transactions.run(async (manager) => {
      const inserted = await this.repository.insertModelIfMissing(manager, model);
      const stored = await this.repository.lockModel(manager, model.name);
      if (!stored) throw RegistryException.modelNotFound(model.name);
      let created = inserted;
      if (!inserted) {
        if (stored.ownerTeam === '') {
          Object.assign(stored, { description: model.description, tags: model.tags, ownerTeam: actor.team });
          await this.repository.saveModel(manager, stored);
          created = true;
        } else if (stored.description !== model.description || !sameTags(stored.tags, model.tags)) {
          throw new RegistryException(
            `model "${model.name}" already exists with another description or tags (owner: ${stored.ownerTeam})`,
            RegistryExceptionCode.MODEL_ALREADY_EXISTS,
          );
        }
      }
      if (created) {
        await this.audit.record(manager, {
          action: registryV1.AuditAction.AUDIT_ACTION_MODEL_CREATED,
          modelName: stored.name,
          actor,
          reasons: [inserted ? `created by ${actor.team}` : `claimed by ${actor.team} after versions were registered from runs`],
        });
      }
      return { item: stored, aliases: await this.repository.aliasesOf(manager, [stored.name]), created };
    });
  }

  async getModel(name: string): Promise<WithAliases<ModelEntity>> {
    const manager = this.dataSource.manager;
    const model = await this.requireModel(manager, name);
    return { item: model, aliases: await this.repository.aliasesOf(manager, [model.name]) };
  }

  async listModels(page: Page<string>): Promise<Listed<ModelEntity>> {
    const manager = this.dataSource.manager;
    const rows = await this.repository.listModels(manager, page.after, page.size + 1);
    const { items, page: next } = pageOf(rows, page, (m) => m.name);
    return {
      items,
      aliases: await this.repository.aliasesOf(
        manager,
        items.map((m) => m.name),
      ),
      page: next,
    };
  }

  async getModelVersion(ref: VersionRef): Promise<WithAliases<ModelVersionEntity>> {
    const manager = this.dataSource.manager;
    await this.requireModel(manager, ref.modelName);
    const aliases = await this.repository.aliasesOf(manager, [ref.modelName]);
    let number: number;
    if ('alias' in ref) {
      const alias = aliases.find((a) => a.alias === ref.alias);
      if (!alias) throw RegistryException.aliasNotFound(ref.modelName, ref.alias);
      number = alias.version;
    } else {
      number = ref.version;
    }
    const version = await this.repository.findVersion(manager, ref.modelName, number);
    if (!version) throw RegistryException.versionNotFound(ref.modelName, number);
    return { item: version, aliases };
  }

  async listModelVersions(modelName: string, page: Page<number>): Promise<Listed<ModelVersionEntity>> {
    const manager = this.dataSource.manager;
    await this.requireModel(manager, modelName);
    const rows = await this.repository.listVersions(manager, modelName, page.after, page.size + 1);
    const { items, page: next } = pageOf(rows, page, (v) => v.version);
    return { items, aliases: await this.repository.aliasesOf(manager, [modelName]), page: next };
  }

  /**
   * Points an alias at a version by hand, bypassing the policy; setting it where it already
   * points changes nothing. Returns the model and the version the alias pointed at before.
   */
  async setAlias(assignment: AliasAssignment): Promise<WithAliases<ModelEntity> & { previousVersion: number }> {
    const actor = callerActor();
    return this.transactions.run(async (manager) => {
      const model = await this.lockModel(manager, assignment.modelName);
      const target = await this.repository.findVersion(manager, model.name, assignment.version);
      if (!target) throw RegistryException.versionNotFound(model.name, assignment.version);
      const current = (await this.repository.aliasesOf(manager, [model.name])).find((a) => a.alias === assignment.alias);
      let previousVersion = current?.version ?? 0;
      if (current?.version !== target.version) {
        previousVersion = await this.aliases.move(manager, {
          model,
          alias: assignment.alias,
          target,
          cause: registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_MANUAL,
          reasons: [assignment.reason || `set by ${actor.team}`],
          actor,
        });
      }
      return { item: model, aliases: await this.repository.aliasesOf(manager, [model.name]), previousVersion };
    });
  }

  async deleteAlias(deletion: AliasDeletion): Promise<WithAliases<ModelEntity> & { previousVersion: number }> {
    const actor = callerActor();
    return this.transactions.run(async (manager) => {
      const model = await this.lockModel(manager, deletion.modelName);
      const current = (await this.repository.aliasesOf(manager, [model.name])).find((a) => a.alias === deletion.alias);
      if (!current) throw RegistryException.aliasNotFound(model.name, deletion.alias);
      await this.aliases.remove(
        manager,
        { model, alias: deletion.alias, reasons: [deletion.reason || `removed by ${actor.team}`], actor },
        current.version,
      );
      return { item: model, aliases: await this.repository.aliasesOf(manager, [model.name]), previousVersion: current.version };
    });
  }

  /** The version and its audit history, oldest first. */
  async getLineage(modelName: string, number: number): Promise<WithAliases<ModelVersionEntity> & { history: AuditEntryEntity[] }> {
    const manager = this.dataSource.manager;
    await this.requireModel(manager, modelName);
    const version = await this.repository.findVersion(manager, modelName, number);
    if (!version) throw RegistryException.versionNotFound(modelName, number);
    const aliases = await this.repository.aliasesOf(manager, [modelName]);
    const history = await this.repository.listAudit(manager, { modelName, version: number }, { oldestFirst: true }, MAX_HISTORY);
    return { item: version, aliases, history };
  }

  async listAuditLog(query: AuditQuery, page: Page<string>): Promise<{ items: AuditEntryEntity[]; page: PageResponseLike }> {
    const filter = { modelName: query.modelName, action: query.action === undefined ? undefined : auditActionName(query.action) };
    const rows = await this.repository.listAudit(this.dataSource.manager, filter, { beforeSeq: page.after }, page.size + 1);
    return pageOf(rows, page, (e) => e.seq);
  }

  async getPromotionPolicy(modelName: string): Promise<registryV1.PromotionPolicy> {
    const manager = this.dataSource.manager;
    await this.requireModel(manager, modelName);
    return effectivePolicy(modelName, await this.repository.findPolicy(manager, modelName), this.defaults);
  }

  /** Stores the model's policy and returns the one in force (empty values resolved). */
  async setPromotionPolicy(settings: PolicySettings): Promise<registryV1.PromotionPolicy> {
    const actor = callerActor();
    return this.transactions.run(async (manager) => {
      const model = await this.lockModel(manager, settings.modelName);
      const before = effectivePolicy(model.name, await this.repository.findPolicy(manager, model.name), this.defaults);
      const stored = { ...settings, modelName: model.name };
      await this.repository.savePolicy(manager, stored);
      const after = effectivePolicy(model.name, stored, this.defaults);
      await this.audit.record(manager, {
        action: registryV1.AuditAction.AUDIT_ACTION_POLICY_CHANGED,
        modelName: model.name,
        actor,
        alias: after.alias,
        reasons: [`${describePolicy(before)} → ${describePolicy(after)}`],
      });
      return after;
    });
  }

  private async requireModel(manager: EntityManager, name: string): Promise<ModelEntity> {
    const model = await this.repository.findModel(manager, name);
    if (!model) throw RegistryException.modelNotFound(name);
    return model;
  }

  private async lockModel(manager: EntityManager, name: string): Promise<ModelEntity> {
    const model = await this.repository.lockModel(manager, name);
    if (!model) throw RegistryException.modelNotFound(name);
    return model;
  }
}

/** Audit entries of one version returned by GetLineage; a version's history is short. */
const MAX_HISTORY = 1000;

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function describePolicy(policy: registryV1.PromotionPolicy): string {
  return (
    `auto_promote=${policy.autoPromote} alias=${policy.alias} metric=${policy.metric || '(spec)'} ` +
    `min_absolute=${policy.minAbsoluteImprovement} min_relative=${policy.minRelativeImprovement} min_rows=${policy.minHoldoutRows} ` +
    `auto_deploy=${policy.autoDeploy ?? true}`
  );
}
