import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, deployerV1, type EventEnvelope, type registryV1 } from '@flywheel/contracts';
import { NonRetriableError } from '@flywheel/messaging';
import { TransactionRunner } from '@flywheel/persistence';
import { type CallerIdentity, InjectConfig, JsonLogger } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { type DeployerConfig } from '../deployer.config';
import {
  type CanaryPolicyValues,
  DEPLOYMENT_NAME_PATTERN,
  type DeploymentRecord,
  DeploymentStateName,
  type ModelVersionRecord,
} from '../deployments/deployment';
import { DeployerException, DeployerExceptionCode } from '../deployments/deployer.exception';
import { toProtoDeployment, toProtoStats } from '../deployments/deployment.mapper';
import { DeploymentRepository } from '../deployments/deployment.repository';
import { ModelRegistry } from '../deployments/model-registry';
import { type RollbackOrder } from '../deployments/deployer-requests';
import { type DeploySpec } from '../deployments/deploy-request';
import { servableVersionOf, UnservableVersionError } from '../deployments/servable-version';
import { ArtifactRejectedError } from '../serving/artifact-rejected.error';
import { LiveStats } from '../serving/live-stats';
import { ServedModels } from '../serving/served-models';
import { ServingMetrics } from '../serving/serving-metrics';
import { Clock } from '@flywheel/platform';
import { checkAliasMove } from './alias-move-check';
import { judgeCanary, type Verdict, type VersionFigures } from './canary-judge';
import { DeploymentEvents } from './deployment-events';
import {
  concludeCanary,
  defaultRollbackTarget,
  deploy,
  manualRollback,
  newDeployment,
  startVersion,
  type Transition,
} from './rollout-transitions';

const DEPLOYER_ACTOR: commonV1.Actor = { team: '', tokenId: '', service: 'deployer' };

export interface RolloutStatus {
  readonly deployment: DeploymentRecord;
  readonly stable?: VersionFigures;
  readonly canary?: VersionFigures;
  readonly summary: string;
}

/**
 * The rollout state machine: alias moves start deployments and canaries, the judge ends canaries
 * (full rollout or automatic rollback), people roll back by API. Each change is one transaction
 * writing the deployment row (locked, revision checked), its DeploymentChanged event and the row
 * of `deployment_changes` that keeps it; the new state is then served at once.
 */
@Injectable()
export class RolloutService {
  constructor(
    @Inject(DeploymentRepository) private readonly repository: DeploymentRepository,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(DeploymentEvents) private readonly events: DeploymentEvents,
    @Inject(ServedModels) private readonly served: ServedModels,
    @Inject(LiveStats) private readonly stats: LiveStats,
    @Inject(Clock) private readonly clock: Clock,
    @InjectConfig() private readonly config: DeployerConfig,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
    @Inject(ModelRegistry) private readonly registry: ModelRegistry,
    @Inject(ServingMetrics) private readonly metrics: ServingMetrics,
  ) {}

  defaultPolicy(): CanaryPolicyValues {
    return {
      trafficShare: this.config.CANARY_TRAFFIC_SHARE,
      minRequests: this.config.CANARY_MIN_REQUESTS,
      maxErrorRateIncrease: this.config.CANARY_MAX_ERROR_RATE_INCREASE,
      maxLatencyRatio: this.config.CANARY_MAX_LATENCY_RATIO,
      maxAccuracyDrop: this.config.CANARY_MAX_ACCURACY_DROP,
      minLabelled: this.config.CANARY_MIN_LABELLED,
      maxDurationMs: this.config.CANARY_MAX_DURATION_MS,
    };
  }

  /**
   * An alias moved: every deployment following it takes the new version (a model's first move of
   * the followed alias creates its deployment, named after the model, unless the model's
   * promotion policy says `auto_deploy: false`) — as far as the registry confirms the move. Runs in the consumer's transaction, so the change and its events commit
   * with the processed-event row.
   */
  async onAliasMoved(event: EventEnvelope<registryV1.AliasMoved>, manager: EntityManager): Promise<void> {
    const moved = event.data;
    if (moved.toVersion <= 0 || moved.target === undefined) {
      // Taking a model off the air is a decision for a person (Rollback), not a side effect.
      this.logger.entry('info', 'alias removed; deployments following it keep serving', { model: moved.modelName, alias: moved.alias });
      return;
    }
    // Checked before anything is read or written: a refused move (dead-lettered with its reason)
    // must not even create a deployment.
    const check = await checkAliasMove(this.registry, event);
    if (check.kind === 'superseded') {
      this.logger.entry('info', 'alias has moved on since; a later event carries the move', {
        model: moved.modelName,
        alias: moved.alias,
        eventVersion: moved.toVersion,
        currentVersion: check.current,
        eventId: event.id,
      });
      return;
    }
    const version = versionOf({ ...moved, target: check.version }, this.clock.now());
    let deployments = await this.repository.findFollowingForUpdate(moved.modelName, moved.alias, manager);
    if (deployments.length === 0) {
      if (moved.alias !== this.config.DEPLOYER_FOLLOW_ALIAS) return;
      if (!DEPLOYMENT_NAME_PATTERN.test(moved.modelName))
        throw new NonRetriableError(`model name ${JSON.stringify(moved.modelName)} cannot name a deployment`);
      if (!(await this.registry.deploysAutomatically(moved.modelName))) {
        this.logger.entry('info', 'no deployment follows the alias, and the model is not deployed automatically; nothing served', {
          model: moved.modelName,
          alias: moved.alias,
          version: moved.toVersion,
        });
        return;
      }
      if (await this.repository.getForUpdate(moved.modelName, manager)) {
        this.logger.entry('warn', 'a deployment named after the model exists but does not follow the alias; not changed', {
          deployment: moved.modelName,
          alias: moved.alias,
        });
        return;
      }
      const created = newDeployment(moved.modelName, moved.modelName, moved.alias, this.defaultPolicy(), this.clock.now());
      await this.repository.insert(created, manager);
      deployments = [created];
    }
    // Loaded (and its sha256 checked) before anything commits: a version that cannot be served
    // must not become one; the failure is retried, then dead-lettered with its reason (at once
    // when the artifact itself is refused: no retry changes its bytes).
    await this.served.preload(version).catch((error: unknown) => {
      if (!(error instanceof ArtifactRejectedError)) throw error;
      throw new NonRetriableError(`model ${version.modelName} v${version.version} cannot be deployed: ${error.message}`, { cause: error });
    });
    await this.repository.saveVersion(version, manager);
    const changed: DeploymentRecord[] = [];
    for (const deployment of deployments) {
      const transition = startVersion(deployment, version, this.clock.now());
      if (!transition) continue;
      changed.push(
        await this.write(manager, transition, { causationId: undefined, actor: DEPLOYER_ACTOR, figures: this.figuresOf(deployment) }),
      );
    }
    for (const record of changed) await this.served.install(record, [version]);
  }

  /** Judges every running canary this process serves. */
  async evaluateAll(): Promise<void> {
    for (const { deployment } of this.served.all()) {
      if (deployment.state !== DeploymentStateName.CANARY) continue;
      try {
        await this.evaluate(deployment.name);
      } catch (error) {
        this.logger.entry('error', 'canary judgement failed; will try again', {
          deployment: deployment.name,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** Judges one canary; returns the verdict (null when the deployment has no canary here). */
  async evaluate(name: string): Promise<Verdict | null> {
    const served = this.served.get(name);
    if (!served?.canary || !served.stable || served.deployment.state !== DeploymentStateName.CANARY) return null;
    const { deployment, canary } = served;
    const figures = this.figuresOf(deployment);
    const verdict = this.verdictOf(deployment, figures);
    if (verdict.decision === 'wait') return verdict;
    const record = await this.transactions.run(async (manager) => {
      const current = await this.repository.getForUpdate(name, manager);
      // Decided on what this process saw; if the deployment moved on meanwhile, the verdict is void.
      if (!current || current.revision !== deployment.revision) return null;
      const transition = concludeCanary(current, verdict, canary.record, this.clock.now());
      return this.write(manager, transition, { causationId: current.canaryEventId, actor: DEPLOYER_ACTOR, figures });
    });
    if (record) {
      this.metrics.recordConclusion(name, deployment.modelName, verdict.decision);
      this.logger.entry('info', verdict.decision === 'promote' ? 'canary promoted' : 'canary rolled back', {
        deployment: name,
        canaryVersion: canary.record.version,
        reason: verdict.reason,
      });
      await this.served.install(record);
    }
    return verdict;
  }

  /** Rollback by API: drop the canary, return to the previous stable version, or to `toVersion`. */
  async rollback(request: RollbackOrder, caller: CallerIdentity | undefined): Promise<DeploymentRecord> {
    const seen = await this.repository.get(request.deployment);
    if (!seen) throw new DeployerException(`deployment "${request.deployment}" not found`, DeployerExceptionCode.DEPLOYMENT_NOT_FOUND);
    const targetVersion = request.toVersion > 0 ? request.toVersion : defaultRollbackTarget(seen);
    const target = await this.repository.getVersion(seen.modelName, targetVersion);
    if (!target) {
      throw new DeployerException(
        `model ${seen.modelName} v${targetVersion} was never deployed here; the deployer knows only versions an alias pointed at`,
        DeployerExceptionCode.VERSION_UNKNOWN,
      );
    }
    // Loaded first: rolling back to a model that cannot be loaded would take the deployment down.
    await this.served.preload(target);
    const actor = actorOf(caller);
    const record = await this.transactions.run(async (manager) => {
      const current = await this.repository.getForUpdate(request.deployment, manager);
      if (!current || current.revision !== seen.revision) {
        throw new DeployerException(
          `deployment "${request.deployment}" changed during the rollback; try again`,
          DeployerExceptionCode.CONCURRENT_CHANGE,
        );
      }
      const transition = manualRollback(current, target, request.reason, this.clock.now());
      return this.write(manager, transition, { causationId: null, actor, figures: this.figuresOf(current) });
    });
    await this.served.install(record, [target]);
    return record;
  }

  /**
   * Deploy by API: creates or updates the deployment and serves `target` (checked with the
   * registry and loaded by the caller; undefined when the followed alias is not set) through the
   * same transitions as an alias move. Decided on the locked row; an identical request writes
   * nothing and publishes nothing.
   */
  async deploy(spec: DeploySpec, target: ModelVersionRecord | undefined, caller: CallerIdentity | undefined): Promise<DeploymentRecord> {
    const outcome = await this.transactions.run(async (manager) => {
      const now = this.clock.now();
      let current = await this.repository.getForUpdate(spec.name, manager);
      const created = current === undefined;
      if (!current) {
        current = newDeployment(spec.name, spec.modelName, spec.alias, { ...this.defaultPolicy(), ...spec.policy }, now);
        await this.repository.insert(current, manager);
      }
      if (current.modelName !== spec.modelName) {
        throw new DeployerException(
          `deployment "${spec.name}" serves model ${current.modelName}, not ${spec.modelName}; give another deployment name`,
          DeployerExceptionCode.DEPLOYMENT_MODEL_MISMATCH,
        );
      }
      const transition = deploy(current, { alias: spec.alias, policy: { ...current.policy, ...spec.policy } }, target, created, now);
      if (!transition) return { record: current, changed: false };
      if (target) await this.repository.saveVersion(target, manager);
      const because = spec.reason ? { ...transition, reason: `${transition.reason}: ${spec.reason}` } : transition;
      const record = await this.write(manager, because, { causationId: null, actor: actorOf(caller), figures: this.figuresOf(current) });
      return { record, changed: true };
    });
    if (outcome.changed) await this.served.install(outcome.record, target ? [target] : []);
    return outcome.record;
  }

  async status(name: string): Promise<RolloutStatus> {
    const deployment = this.served.get(name)?.deployment ?? (await this.repository.get(name));
    if (!deployment) throw new DeployerException(`deployment "${name}" not found`, DeployerExceptionCode.DEPLOYMENT_NOT_FOUND);
    const figures = this.figuresOf(deployment);
    let summary: string;
    switch (deployment.state) {
      case DeploymentStateName.PENDING:
        summary = 'no version serving yet';
        break;
      case DeploymentStateName.STABLE:
        summary = `v${deployment.stableVersion} serves all traffic`;
        break;
      case DeploymentStateName.CANARY:
        summary = this.verdictOf(deployment, figures).summary;
        break;
    }
    return { deployment, ...figures, summary };
  }

  private verdictOf(deployment: DeploymentRecord, figures: { stable?: VersionFigures; canary?: VersionFigures }): Verdict {
    const started = deployment.canaryStartTime?.getTime() ?? this.clock.now().getTime();
    return judgeCanary({
      deployment: deployment.name,
      policy: deployment.policy,
      stable: figures.stable ?? this.stats.figures(deployment.name, deployment.stableVersion),
      canary: figures.canary ?? this.stats.figures(deployment.name, deployment.canaryVersion),
      elapsedMs: this.clock.now().getTime() - started,
      latencyFloorMs: this.config.CANARY_LATENCY_FLOOR_MS,
    });
  }

  private figuresOf(deployment: DeploymentRecord): { stable?: VersionFigures; canary?: VersionFigures } {
    return {
      stable: deployment.stableVersion > 0 ? this.stats.figures(deployment.name, deployment.stableVersion) : undefined,
      canary: deployment.canaryVersion > 0 ? this.stats.figures(deployment.name, deployment.canaryVersion) : undefined,
    };
  }

  /**
   * Writes a transition with its event, and keeps the event as the deployment's latest change
   * (ListDeploymentChanges); the CANARY_STARTED event's id is kept as the cause of the judgement.
   */
  private async write(
    manager: EntityManager,
    transition: Transition,
    context: {
      causationId: string | null | undefined;
      actor: commonV1.Actor;
      figures: { stable?: VersionFigures; canary?: VersionFigures };
    },
  ): Promise<DeploymentRecord> {
    const canaryInvolved =
      transition.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_PROMOTED ||
      transition.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_ROLLED_BACK;
    const change: deployerV1.DeploymentChanged = {
      deployment: transition.record.name,
      modelName: transition.record.modelName,
      change: transition.change,
      fromVersion: transition.fromVersion,
      toVersion: transition.toVersion,
      canaryTrafficShare: transition.record.canaryTrafficShare,
      reason: transition.reason,
      checks: [...transition.checks],
      stable:
        transition.change !== deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_INITIAL_DEPLOY && context.figures.stable
          ? toProtoStats(context.figures.stable)
          : undefined,
      canary: canaryInvolved && context.figures.canary ? toProtoStats(context.figures.canary) : undefined,
      actor: context.actor,
      deploymentAfter: toProtoDeployment(transition.record),
      changeTime: transition.record.updatedAt,
    };
    const eventId = await this.events.publish(manager, change, context.causationId);
    await this.repository.appendChange({ id: eventId, change }, this.config.DEPLOYMENT_CHANGES_KEPT, manager);
    const record =
      transition.change === deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED
        ? { ...transition.record, canaryEventId: eventId }
        : transition.record;
    if (!(await this.repository.update(record, manager))) {
      throw new DeployerException(`deployment "${record.name}" changed concurrently; try again`, DeployerExceptionCode.CONCURRENT_CHANGE);
    }
    this.logger.entry('info', 'deployment changed', {
      deployment: record.name,
      change: deployerV1.DeploymentChange[transition.change],
      fromVersion: transition.fromVersion,
      toVersion: transition.toVersion,
      reason: transition.reason,
      eventId,
    });
    return record;
  }
}

function actorOf(caller: CallerIdentity | undefined): commonV1.Actor {
  return { team: caller?.team ?? '', tokenId: caller?.tokenId ?? '', service: '' };
}

/** The version an AliasMoved points at, as the deployer records it; a malformed one can never be served. */
function versionOf(moved: registryV1.AliasMoved, now: Date): ModelVersionRecord {
  const target = moved.target!;
  if (target.version !== moved.toVersion || target.modelName !== moved.modelName) {
    throw new NonRetriableError(
      `AliasMoved ${moved.modelName} v${moved.toVersion}: target is ${target.modelName} v${target.version}, not the version the alias points at`,
    );
  }
  try {
    return servableVersionOf(target, 'target', now);
  } catch (error) {
    if (error instanceof UnservableVersionError)
      throw new NonRetriableError(`AliasMoved ${moved.modelName} v${moved.toVersion}: ${error.message}`);
    throw error;
  }
}
