import { Inject, Injectable } from '@nestjs/common';
import { AliasMovedEvent, type commonV1, PromotionRefusedEvent, registryV1 } from '@flywheel/contracts';
import { EventPublisher } from '@flywheel/messaging';
import { type EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { Clock } from '@flywheel/platform';
import { type ModelVersionEntity } from './model-version.entity';
import { type ModelEntity } from './model.entity';
import { toModelVersion } from './model-mapping';
import { RegistryRepository } from './registry.repository';

export interface AliasMove {
  /** Locked by the caller's transaction (`RegistryRepository.lockModel`). */
  readonly model: ModelEntity;
  readonly alias: string;
  readonly target: ModelVersionEntity;
  readonly cause: registryV1.AliasMoveCause;
  readonly reasons: readonly string[];
  readonly comparison?: registryV1.MetricComparison;
  readonly actor: commonV1.Actor;
  /** The event that led to the move; undefined inside an API call (a root). */
  readonly causationId?: string;
}

export interface AliasRemoval {
  readonly model: ModelEntity;
  readonly alias: string;
  readonly reasons: readonly string[];
  readonly actor: commonV1.Actor;
}

export interface PromotionRefusal {
  readonly model: ModelEntity;
  readonly alias: string;
  readonly championVersion: number;
  readonly challengerVersion: number;
  readonly reasons: readonly string[];
  readonly comparison?: registryV1.MetricComparison;
  readonly policy: registryV1.PromotionPolicy;
  readonly causationId?: string;
}

/**
 * Every change of an alias, by hand or by the promotion policy, and every refusal: the alias
 * row, the audit row and the event are written in the caller's transaction, so none of them
 * exists without the others.
 */
@Injectable()
export class AliasService {
  constructor(
    @Inject(RegistryRepository) private readonly repository: RegistryRepository,
    @Inject(EventPublisher) private readonly publisher: EventPublisher,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Points the alias at the target; returns the version it pointed at before (0 if none). */
  async move(manager: EntityManager, move: AliasMove): Promise<number> {
    const { model, alias, target } = move;
    const previous = (await this.repository.aliasesOf(manager, [model.name])).find((a) => a.alias === alias)?.version ?? 0;
    await this.repository.setAlias(manager, model.name, alias, target.version);
    const aliases = await this.repository.aliasesOf(manager, [model.name]);
    const event = await this.publisher.publish(
      manager,
      AliasMovedEvent,
      registryV1.AliasMoved.fromPartial({
        modelName: model.name,
        alias,
        fromVersion: previous,
        toVersion: target.version,
        target: toModelVersion(target, aliases),
        cause: move.cause,
        reasons: [...move.reasons],
        comparison: move.comparison,
        actor: move.actor,
        moveTime: this.clock.now(),
      }),
      { key: model.name, causationId: move.causationId ?? null },
    );
    await this.audit.record(manager, {
      action: registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET,
      modelName: model.name,
      actor: move.actor,
      version: target.version,
      alias,
      previousVersion: previous,
      reasons: move.reasons,
      comparison: move.comparison,
      eventId: event.id,
      causeEventId: move.causationId,
    });
    return previous;
  }

  /** Removes the alias, which the caller found pointing at `previous`. */
  async remove(manager: EntityManager, removal: AliasRemoval, previous: number): Promise<void> {
    const { model, alias } = removal;
    await this.repository.deleteAlias(manager, model.name, alias);
    const event = await this.publisher.publish(
      manager,
      AliasMovedEvent,
      registryV1.AliasMoved.fromPartial({
        modelName: model.name,
        alias,
        fromVersion: previous,
        toVersion: 0,
        cause: registryV1.AliasMoveCause.ALIAS_MOVE_CAUSE_MANUAL,
        reasons: [...removal.reasons],
        actor: removal.actor,
        moveTime: this.clock.now(),
      }),
      { key: model.name, causationId: null },
    );
    await this.audit.record(manager, {
      action: registryV1.AuditAction.AUDIT_ACTION_ALIAS_DELETED,
      modelName: model.name,
      actor: removal.actor,
      version: previous,
      alias,
      previousVersion: previous,
      reasons: removal.reasons,
      eventId: event.id,
    });
  }

  /** The policy kept the champion: a PromotionRefused event and its audit row. */
  async refuse(manager: EntityManager, refusal: PromotionRefusal, actor: commonV1.Actor): Promise<void> {
    const event = await this.publisher.publish(
      manager,
      PromotionRefusedEvent,
      registryV1.PromotionRefused.fromPartial({
        modelName: refusal.model.name,
        alias: refusal.alias,
        championVersion: refusal.championVersion,
        challengerVersion: refusal.challengerVersion,
        reasons: [...refusal.reasons],
        comparison: refusal.comparison,
        policy: refusal.policy,
        refuseTime: this.clock.now(),
      }),
      { key: refusal.model.name, causationId: refusal.causationId ?? null },
    );
    await this.audit.record(manager, {
      action: registryV1.AuditAction.AUDIT_ACTION_PROMOTION_REFUSED,
      modelName: refusal.model.name,
      actor,
      version: refusal.challengerVersion,
      alias: refusal.alias,
      previousVersion: refusal.championVersion,
      reasons: refusal.reasons,
      comparison: refusal.comparison,
      eventId: event.id,
      causeEventId: refusal.causationId,
    });
  }
}
