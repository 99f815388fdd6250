import { Inject, Injectable } from '@nestjs/common';
import { registryV1 } from '@flywheel/contracts';
import { TransactionRunner } from '@flywheel/persistence';
import { isPositiveIntegerCursor, isStringCursor, pageOf, readPage } from '@flywheel/platform';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog, callerActor } from '../audit/audit-log';
import { isKnownMetric, METRIC_NAMES } from '../promotion/metrics';
import { effectivePolicy, POLICY_DEFAULTS, type PolicyDefaults } from '../promotion/promotion-policy';
import { AliasService } from './alias.service';
import { type ModelEntity } from './model.entity';
import { auditActionName, toAuditEntry, toModel, toModelVersion } from './model-mapping';
import { RegistryException, RegistryExceptionCode } from './registry.exception';
import { RegistryRepository } from './registry.repository';
import { RequestChecks } from './request-checks';

const MAX_DESCRIPTION = 2000;
const MAX_REASON = 1000;
const MAX_TAGS = 50;

/** The registry's API use cases; the gRPC controller only translates to and from them. */
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
  async createModel(request: registryV1.CreateModelRequest): Promise<registryV1.CreateModelResponse> {
    const tags = request.tags ?? {};
    const checks = new RequestChecks().modelName('name', request.name).maxLength('description', request.description, MAX_DESCRIPTION);
    checks.check(Object.keys(tags).length <= MAX_TAGS, 'tags', `must have at most ${MAX_TAGS} entries`);
    for (const [key, value] of Object.entries(tags)) {
      checks.check(/^[A-Za-z0-9_.:/-]{1,63}$/.test(key), `tags[${key}]`, 'key must be 1-63 of A-Z a-z 0-9 _ . : / -').maxLength(`tags[${key}]`, value, 256);
    }
    checks.done();
    const actor = callerActor();
    const definition = { name: request.name, description: request.description ?? '', tags: { ...tags }, ownerTeam: actor.team };
    return this.transactions.run(async (manager) => {
      const inserted = await this.repository.insertModelIfMissing(manager, definition);
      const model = await this.repository.lockModel(manager, request.name);
      if (!model) throw RegistryException.modelNotFound(request.name);
      let created = inserted;
      if (!inserted) {
        if (model.ownerTeam === '') {
          Object.assign(model, { description: definition.description, tags: definition.tags, ownerTeam: actor.team });
          await this.repository.saveModel(manager, model);
          created = true;
        } else if (model.description !== definition.description || !sameTags(model.tags, definition.tags)) {
          throw new RegistryException(
            `model "${request.name}" already exists with another description or tags (owner: ${model.ownerTeam})`,
            RegistryExceptionCode.MODEL_ALREADY_EXISTS,
          );
        }
      }
      if (created) {
        await this.audit.record(manager, {
          action: registryV1.AuditAction.AUDIT_ACTION_MODEL_CREATED,
          modelName: model.name,
          actor,
          reasons: [inserted ? `created by ${actor.team}` : `claimed by ${actor.team} after versions were registered from runs`],
        });
      }
      return { model: toModel(model, await this.repository.aliasesOf(manager, [model.name])), created };
    });
  }

  async getModel(request: registryV1.GetModelRequest): Promise<registryV1.GetModelResponse> {
    new RequestChecks().modelName('name', request.name).done();
    const manager = this.dataSource.manager;
    const model = await this.requireModel(manager, request.name);
    return { model: toModel(model, await this.repository.aliasesOf(manager, [model.name])) };
  }

  async listModels(request: registryV1.ListModelsRequest): Promise<registryV1.ListModelsResponse> {
    const page = readPage(request.page, isStringCursor);
    const manager = this.dataSource.manager;
    const rows = await this.repository.listModels(manager, page.after, page.size + 1);
    const { items, page: next } = pageOf(rows, page, (m) => m.name);
    const aliases = await this.repository.aliasesOf(manager, items.map((m) => m.name));
    return { models: items.map((m) => toModel(m, aliases)), page: next };
  }

  async getModelVersion(request: registryV1.GetModelVersionRequest): Promise<registryV1.GetModelVersionResponse> {
    const checks = new RequestChecks().modelName('model_name', request.modelName);
    const byAlias = request.alias != null && request.alias !== '';
    if (byAlias) checks.alias('alias', request.alias);
    else checks.version('version', request.version);
    checks.done();
    const manager = this.dataSource.manager;
    await this.requireModel(manager, request.modelName);
    const aliases = await this.repository.aliasesOf(manager, [request.modelName]);
    let number = request.version ?? 0;
    if (byAlias) {
      const alias = aliases.find((a) => a.alias === request.alias);
      if (!alias) throw RegistryException.aliasNotFound(request.modelName, request.alias as string);
      number = alias.version;
    }
    const version = await this.repository.findVersion(manager, request.modelName, number);
    if (!version) throw RegistryException.versionNotFound(request.modelName, number);
    return { version: toModelVersion(version, aliases) };
  }

  async listModelVersions(request: registryV1.ListModelVersionsRequest): Promise<registryV1.ListModelVersionsResponse> {
    new RequestChecks().modelName('model_name', request.modelName).done();
    const page = readPage(request.page, isPositiveIntegerCursor);
    const manager = this.dataSource.manager;
    await this.requireModel(manager, request.modelName);
    const rows = await this.repository.listVersions(manager, request.modelName, page.after, page.size + 1);
    const { items, page: next } = pageOf(rows, page, (v) => v.version);
    const aliases = await this.repository.aliasesOf(manager, [request.modelName]);
    return { versions: items.map((v) => toModelVersion(v, aliases)), page: next };
  }

  /** Points an alias at a version by hand, bypassing the policy; setting it where it already points changes nothing. */
  async setAlias(request: registryV1.SetAliasRequest): Promise<registryV1.SetAliasResponse> {
    new RequestChecks()
      .modelName('model_name', request.modelName)
      .alias('alias', request.alias)
      .version('version', request.version)
      .maxLength('reason', request.reason, MAX_REASON)
      .done();
    const actor = callerActor();
    return this.transactions.run(async (manager) => {
      const model = await this.lockModel(manager, request.modelName);
      const target = await this.repository.findVersion(manager, model.name, request.version);
      if (!target) throw RegistryException.versionNotFound(model.name, request.version);
      const current = (await this.repository.aliasesOf(manager, [model.name])).find((a) => a.alias === request.alias);
      let previousVersion = current?.version ?? 0;
      if (current?.version !== target.version) {
        previousVersion = await this.aliases.move(manager, {
          model,
          alias: request.alias,
          target,
          cause: registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_MANUAL,
          reasons: [request.reason || `set by ${actor.team}`],
          actor,
        });
      }
      return { model: toModel(model, await this.repository.aliasesOf(manager, [model.name])), previousVersion };
    });
  }

  async deleteAlias(request: registryV1.DeleteAliasRequest): Promise<registryV1.DeleteAliasResponse> {
    new RequestChecks().modelName('model_name', request.modelName).alias('alias', request.alias).maxLength('reason', request.reason, MAX_REASON).done();
    const actor = callerActor();
    return this.transactions.run(async (manager) => {
      const model = await this.lockModel(manager, request.modelName);
      const current = (await this.repository.aliasesOf(manager, [model.name])).find((a) => a.alias === request.alias);
      if (!current) throw RegistryException.aliasNotFound(model.name, request.alias);
      await this.aliases.remove(manager, { model, alias: request.alias, reasons: [request.reason || `removed by ${actor.team}`], actor }, current.version);
      return { model: toModel(model, await this.repository.aliasesOf(manager, [model.name])), previousVersion: current.version };
    });
  }

  async getLineage(request: registryV1.GetLineageRequest): Promise<registryV1.GetLineageResponse> {
    new RequestChecks().modelName('model_name', request.modelName).version('version', request.version).done();
    const manager = this.dataSource.manager;
    await this.requireModel(manager, request.modelName);
    const entity = await this.repository.findVersion(manager, request.modelName, request.version);
    if (!entity) throw RegistryException.versionNotFound(request.modelName, request.version);
    const version = toModelVersion(entity, await this.repository.aliasesOf(manager, [request.modelName]));
    const history = await this.repository.listAudit(
      manager,
      { modelName: request.modelName, version: request.version },
      { oldestFirst: true },
      MAX_HISTORY,
    );
    return { version, lineage: version.lineage, history: history.map(toAuditEntry) };
  }

  async listAuditLog(request: registryV1.ListAuditLogRequest): Promise<registryV1.ListAuditLogResponse> {
    const checks = new RequestChecks();
    if (request.modelName) checks.modelName('model_name', request.modelName);
    const action = request.action ?? registryV1.AuditAction.AUDIT_ACTION_UNSPECIFIED;
    checks.check(registryV1.AuditAction[action] !== undefined && action >= 0, 'action', 'is not an AuditAction');
    checks.done();
    const page = readPage(request.page, isSeq);
    const filter = {
      modelName: request.modelName || undefined,
      action: action === registryV1.AuditAction.AUDIT_ACTION_UNSPECIFIED ? undefined : auditActionName(action),
    };
    const rows = await this.repository.listAudit(this.dataSource.manager, filter, { beforeSeq: page.after }, page.size + 1);
    const { items, page: next } = pageOf(rows, page, (e) => e.seq);
    return { entries: items.map(toAuditEntry), page: next };
  }

  async getPromotionPolicy(request: registryV1.GetPromotionPolicyRequest): Promise<registryV1.GetPromotionPolicyResponse> {
    new RequestChecks().modelName('model_name', request.modelName).done();
    const manager = this.dataSource.manager;
    await this.requireModel(manager, request.modelName);
    return { policy: effectivePolicy(request.modelName, await this.repository.findPolicy(manager, request.modelName), this.defaults) };
  }

  async setPromotionPolicy(request: registryV1.SetPromotionPolicyRequest): Promise<registryV1.SetPromotionPolicyResponse> {
    const policy = request.policy;
    const checks = new RequestChecks();
    if (policy == null) checks.fail('policy', 'is required').done();
    const p = policy as registryV1.PromotionPolicy;
    checks
      .modelName('policy.model_name', p.modelName)
      .alias('policy.alias', p.alias, { optional: true })
      .check(!p.metric || isKnownMetric(p.metric), 'policy.metric', `must be empty or one of ${METRIC_NAMES.join(', ')}`)
      .check(Number.isFinite(p.minAbsoluteImprovement) && p.minAbsoluteImprovement >= 0, 'policy.min_absolute_improvement', 'must be a finite number ≥ 0')
      .check(Number.isFinite(p.minRelativeImprovement) && p.minRelativeImprovement >= 0, 'policy.min_relative_improvement', 'must be a finite number ≥ 0')
      .check(Number.isSafeInteger(p.minHoldoutRows) && p.minHoldoutRows >= 0, 'policy.min_holdout_rows', 'must be an integer ≥ 0')
      .done();
    const actor = callerActor();
    return this.transactions.run(async (manager) => {
      const model = await this.lockModel(manager, p.modelName);
      const before = effectivePolicy(model.name, await this.repository.findPolicy(manager, model.name), this.defaults);
      const stored = {
        modelName: model.name,
        autoPromote: p.autoPromote,
        alias: p.alias,
        metric: p.metric,
        minAbsoluteImprovement: p.minAbsoluteImprovement,
        minRelativeImprovement: p.minRelativeImprovement,
        minHoldoutRows: p.minHoldoutRows,
      };
      await this.repository.savePolicy(manager, stored);
      const after = effectivePolicy(model.name, stored, this.defaults);
      await this.audit.record(manager, {
        action: registryV1.AuditAction.AUDIT_ACTION_POLICY_CHANGED,
        modelName: model.name,
        actor,
        alias: after.alias,
        reasons: [`${describePolicy(before)} → ${describePolicy(after)}`],
      });
      return { policy: after };
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

const isSeq = (value: unknown): value is string => typeof value === 'string' && /^[1-9][0-9]{0,18}$/.test(value);

function sameTags(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function describePolicy(policy: registryV1.PromotionPolicy): string {
  return (
    `auto_promote=${policy.autoPromote} alias=${policy.alias} metric=${policy.metric || '(spec)'} ` +
    `min_absolute=${policy.minAbsoluteImprovement} min_relative=${policy.minRelativeImprovement} min_rows=${policy.minHoldoutRows}`
  );
}
