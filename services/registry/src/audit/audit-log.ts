import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, registryV1 } from '@flywheel/contracts';
import { currentCaller, Clock } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { auditActionName } from '../models/model-mapping';
import { RegistryRepository } from '../models/registry.repository';

/** Decisions the registry takes by itself are signed by the service, not by a team. */
export const POLICY_ACTOR: commonV1.Actor = { team: '', tokenId: '', service: 'registry' };

/** The team behind the current gRPC call. */
export function callerActor(): commonV1.Actor {
  const caller = currentCaller();
  if (!caller) throw new Error('no authenticated caller in this context');
  return { team: caller.team, tokenId: caller.tokenId, service: '' };
}

export interface AuditRecord {
  readonly action: registryV1.AuditAction;
  readonly modelName: string;
  readonly actor: commonV1.Actor;
  readonly version?: number;
  readonly alias?: string;
  readonly previousVersion?: number;
  readonly reasons?: readonly string[];
  readonly comparison?: registryV1.MetricComparison;
  /** Id of the event published with the change. */
  readonly eventId?: string;
  /** Id of the event that caused the change (a RunCompleted), if any. */
  readonly causeEventId?: string | null;
}

/** Writes audit rows in the caller's transaction, next to the change they describe. */
@Injectable()
export class AuditLog {
  constructor(
    @Inject(RegistryRepository) private readonly repository: RegistryRepository,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  async record(manager: EntityManager, record: AuditRecord): Promise<void> {
    const comparison = record.comparison;
    await this.repository.appendAudit(manager, {
      id: randomUUID(),
      time: this.clock.now(),
      modelName: record.modelName,
      version: record.version ?? 0,
      alias: record.alias ?? '',
      previousVersion: record.previousVersion ?? 0,
      action: auditActionName(record.action),
      actorTeam: record.actor.team,
      actorTokenId: record.actor.tokenId,
      actorService: record.actor.service,
      reasons: [...(record.reasons ?? [])],
      metric: comparison?.metric ?? null,
      championValue: comparison?.championValue ?? null,
      challengerValue: comparison?.challengerValue ?? null,
      comparison: comparison ? Buffer.from(registryV1.MetricComparison.encode(comparison).finish()) : null,
      eventId: record.eventId ?? '',
      causeEventId: record.causeEventId ?? '',
    });
  }
}
