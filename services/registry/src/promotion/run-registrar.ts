import { Inject, Injectable } from '@nestjs/common';
import { commonV1, type EventEnvelope, ModelVersionRegisteredEvent, registryV1, type trainerV1 } from '@flywheel/contracts';
import { EventPublisher, NonRetriableError } from '@flywheel/messaging';
import { JsonLogger, Clock } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { AuditLog, POLICY_ACTOR } from '../audit/audit-log';
import { AliasService } from '../models/alias.service';
import { toModelVersion, versionEntity, versionFromRun } from '../models/model-mapping';
import { type ModelVersionEntity } from '../models/model-version.entity';
import { type ModelEntity } from '../models/model.entity';
import { MODEL_NAME_PATTERN } from '../models/names';
import { RegistryRepository } from '../models/registry.repository';
import { ComparisonUnavailable, HoldoutScorer } from './holdout-scorer';
import { higherIsBetter, isKnownMetric, metricValue } from './metrics';
import { decidePromotion, effectivePolicy, POLICY_DEFAULTS, type PolicyDefaults } from './promotion-policy';

/** Where a new version comes from: a completed run, or an imported file. */
export interface VersionSource {
  readonly modelName: string;
  /** The run id recorded with the version; registering one twice answers the first version. */
  readonly runId: string;
  /** The version, given its number and the registration time. */
  readonly build: (number: number, now: Date) => registryV1.ModelVersion;
  /** Why it is registered, for the audit log. */
  readonly reason: string;
  /** The event that caused it, if one did. */
  readonly causationId?: string;
  /** Who registered it (default: the policy). */
  readonly actor?: commonV1.Actor;
}

export type RegistrationOutcome =
  | { readonly kind: 'duplicate-run'; readonly version: number }
  | { readonly kind: 'registered'; readonly version: number; readonly promotion: 'off' | 'promoted' | 'refused' };

/**
 * A completed run becomes the next version of its model (created on the first run), then the
 * promotion policy decides whether it takes the policy's alias. Everything happens in the
 * handler's transaction with the model row locked, so two runs of one model handled at once
 * are judged one after the other and cannot both take the alias.
 */
@Injectable()
export class RunRegistrar {
  constructor(
    @Inject(RegistryRepository) private readonly repository: RegistryRepository,
    @Inject(AliasService) private readonly aliases: AliasService,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(HoldoutScorer) private readonly scorer: HoldoutScorer,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(POLICY_DEFAULTS) private readonly defaults: PolicyDefaults,
  ) {}

  async register(event: EventEnvelope<trainerV1.RunCompleted>, manager: EntityManager): Promise<RegistrationOutcome> {
    const run = event.data;
    checkRun(run);
    return this.registerVersion(manager, {
      modelName: run.modelName,
      runId: run.runId,
      build: (number, now) => versionFromRun(run, number, run.spec?.metric || defaultMetric(run.spec?.task), now),
      reason: `run ${run.runId} completed`,
      causationId: event.id,
    });
  }

  /**
   * Registers the next version of a model (created if absent) from `source`, publishes
   * ModelVersionRegistered and audits it, then lets the promotion policy judge it — all in
   * `manager`'s transaction with the model row locked. A `runId` already registered answers
   * that version (the same run, or the same imported file, sent again).
   */
  async registerVersion(manager: EntityManager, source: VersionSource): Promise<RegistrationOutcome> {
    await this.repository.insertModelIfMissing(manager, { name: source.modelName, description: '', tags: {}, ownerTeam: '' });
    const model = await this.repository.lockModel(manager, source.modelName);
    if (!model) throw new Error(`model "${source.modelName}" vanished while registering ${source.runId}`);

    const existing = await this.repository.findVersionByRun(manager, source.runId);
    if (existing) {
      this.logger.entry('info', 'already registered', { model: model.name, runId: source.runId, version: existing.version });
      return { kind: 'duplicate-run', version: existing.version };
    }

    const number = model.latestVersion + 1;
    const version = source.build(number, this.clock.now());
    const entity = versionEntity(version);
    await this.repository.insertVersion(manager, entity);
    model.latestVersion = number;
    await this.repository.saveModel(manager, model);
    const registered = await this.publisher.publish(
      manager,
      ModelVersionRegisteredEvent,
      { version },
      { key: model.name, causationId: source.causationId },
    );
    await this.audit.record(manager, {
      action: registryV1.AuditAction.AUDIT_ACTION_VERSION_REGISTERED,
      modelName: model.name,
      actor: source.actor ?? POLICY_ACTOR,
      version: number,
      reasons: [source.reason],
      eventId: registered.id,
      causeEventId: source.causationId,
    });

    const policy = effectivePolicy(model.name, await this.repository.findPolicy(manager, model.name), this.defaults);
    if (!policy.autoPromote) return { kind: 'registered', version: number, promotion: 'off' };
    const promoted = await this.judge(manager, model, entity, version, policy, source.causationId ?? registered.id);
    this.logger.entry('info', promoted ? 'version promoted' : 'promotion refused', {
      model: model.name,
      version: number,
      alias: policy.alias,
    });
    return { kind: 'registered', version: number, promotion: promoted ? 'promoted' : 'refused' };
  }

  /** Moves the policy's alias to the challenger or records why not; true when it moved. */
  private async judge(
    manager: EntityManager,
    model: ModelEntity,
    challengerEntity: ModelVersionEntity,
    challenger: registryV1.ModelVersion,
    policy: registryV1.PromotionPolicy,
    causationId: string,
  ): Promise<boolean> {
    const alias = policy.alias;
    const metric = policy.metric || challenger.metric;
    const aliases = await this.repository.aliasesOf(manager, [model.name]);
    const championNumber = aliases.find((a) => a.alias === alias)?.version;

    if (championNumber === undefined) {
      const first = challenger.version === 1;
      const value = isKnownMetric(metric) ? metricValue(metric, challenger.metrics) : challenger.metrics[metric];
      await this.aliases.move(manager, {
        model,
        alias,
        target: challengerEntity,
        cause: first
          ? registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_FIRST_VERSION
          : registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_PROMOTION_POLICY,
        reasons: [first ? `v1 is the first version of ${model.name}` : `no version holds ${alias}; v${challenger.version} takes it`],
        comparison: registryV1.MetricComparison.fromPartial({
          metric,
          higherIsBetter: isKnownMetric(metric) ? higherIsBetter(metric) : true,
          challengerValue: value ?? 0,
          holdout: challenger.holdout,
        }),
        actor: POLICY_ACTOR,
        causationId,
      });
      return true;
    }

    const championEntity = await this.repository.findVersion(manager, model.name, championNumber);
    if (!championEntity) throw new Error(`alias ${alias} of ${model.name} points at missing version ${championNumber}`);
    const refuse = (reasons: string[], comparison?: registryV1.MetricComparison) =>
      this.aliases
        .refuse(
          manager,
          {
            model,
            alias,
            championVersion: championNumber,
            challengerVersion: challenger.version,
            reasons,
            comparison,
            policy,
            causationId,
          },
          POLICY_ACTOR,
        )
        .then(() => false);

    if (!isKnownMetric(metric)) return refuse([`metric "${metric}" is not one the registry can compare`]);
    let scores;
    try {
      scores = await this.scorer.score(toModelVersion(championEntity, aliases), challenger);
    } catch (error) {
      if (error instanceof ComparisonUnavailable) return refuse([error.message]);
      throw error;
    }
    const championValue = metricValue(metric, scores.champion);
    const challengerValue = metricValue(metric, scores.challenger);
    if (championValue === undefined || challengerValue === undefined) {
      return refuse([`${metric} is undefined on the holdout of v${challenger.version} (e.g. only one class present)`]);
    }
    const decision = decidePromotion(policy, {
      metric,
      championVersion: championNumber,
      challengerVersion: challenger.version,
      championValue,
      challengerValue,
      holdoutRows: scores.rows,
    });
    const comparison = registryV1.MetricComparison.fromPartial({
      metric,
      higherIsBetter: decision.higherIsBetter,
      championValue,
      challengerValue,
      absoluteImprovement: decision.absoluteImprovement,
      relativeImprovement: decision.relativeImprovement,
      holdout: challenger.holdout,
    });
    if (!decision.promote) return refuse(decision.reasons, comparison);
    await this.aliases.move(manager, {
      model,
      alias,
      target: challengerEntity,
      cause: registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_PROMOTION_POLICY,
      reasons: decision.reasons,
      comparison,
      actor: POLICY_ACTOR,
      causationId,
    });
    return true;
  }
}

/** A RunCompleted the registry cannot turn into a version is parked, not retried. */
function checkRun(run: trainerV1.RunCompleted): void {
  const problems: string[] = [];
  if (!MODEL_NAME_PATTERN.test(run.modelName)) problems.push(`model_name must match ${MODEL_NAME_PATTERN.source}`);
  if (!run.runId) problems.push('run_id is empty');
  if (!run.artifact?.key) problems.push('artifact.key is empty');
  if (!/^[0-9a-f]{64}$/.test(run.artifact?.sha256 ?? '')) problems.push('artifact.sha256 must be 64 lower-case hex digits');
  if (problems.length > 0)
    throw new NonRetriableError(`RunCompleted ${run.runId || '(no run id)'} cannot be registered: ${problems.join('; ')}`);
}

function defaultMetric(task: commonV1.ModelTask | undefined): string {
  return task === commonV1.ModelTask.MODEL_TASK_REGRESSION ? 'rmse' : 'roc_auc';
}
