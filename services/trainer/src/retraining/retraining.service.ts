import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, trainerV1 } from '@flywheel/contracts';
import { TransactionRunner } from '@flywheel/persistence';
import { type CallerIdentity, Clock, type OffsetPage, offsetPageOf } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { TrainerEvents } from '../system/trainer-events';
import { decideRetraining, defaultPolicy, type PolicySettings, startOfUtcDay, type TriggerKind } from './retraining-policy';
import { type DecisionRecord, RetrainingRepository } from './retraining.repository';

/**
 * A TrainModel the policy sent counts as in flight (merging later triggers into it) until its
 * run exists; past this it is presumed lost (e.g. parked in the dead-letter topic) and no
 * longer blocks retraining.
 */
export const PENDING_COMMAND_WINDOW_MS = 60 * 60 * 1000;

/** An event asking for retraining: DriftDetected or PerformanceDegraded. */
export interface RetrainingTrigger {
  readonly eventId: string;
  readonly eventType: string;
  readonly modelName: string;
  readonly kind: TriggerKind;
  /** What happened, in words, e.g. `drift on amount, age (share 0.40 ≥ 0.30)`. */
  readonly summary: string;
}

/** The retraining policy: turns drift and degradation into TrainModel commands, or declines, and records why. */
@Injectable()
export class RetrainingService {
  constructor(
    @Inject(RetrainingRepository) private readonly repository: RetrainingRepository,
    @Inject(TransactionRunner) private readonly transactions: TransactionRunner,
    @Inject(TrainerEvents) private readonly events: TrainerEvents,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * Decides on one trigger in the caller's transaction, under the model's row lock, and records
   * the decision (row and RetrainingDecided); when it acts, the TrainModel command goes out in
   * the same transaction. Returns null for a trigger already decided.
   *
   * A TrainModel command another system sent is judged the same way (`commandSpec`: the spec it
   * asks for); acting on it sends no command of its own: the caller queues the command's run
   * under the decision's run id.
   */
  async decide(manager: EntityManager, trigger: RetrainingTrigger, commandSpec?: trainerV1.ModelSpec): Promise<DecisionRecord | null> {
    const model = trigger.modelName;
    await this.repository.lockModel(manager, model);
    if (await this.repository.hasDecided(manager, model, trigger.eventId)) return null;
    const now = this.clock.now();
    const policy = (await this.repository.policy(manager, model)) ?? defaultPolicy(model);
    const last = await this.repository.lastSuccess(manager, model);
    const spec = commandSpec ?? policy.spec ?? last?.spec ?? null;
    const newRows = last?.dataset ? await this.repository.rowsAfter(manager, last.dataset, last.datasetVersionTo) : null;
    const actedToday = await this.repository.actedSince(manager, model, startOfUtcDay(now));
    const verdict = decideRetraining(policy, {
      now,
      trigger: trigger.kind,
      triggerSummary: trigger.summary,
      lastActedAt: await this.repository.lastActedAt(manager, model),
      actedToday,
      newRows,
      inFlight: await this.repository.inFlight(manager, model, new Date(now.getTime() - PENDING_COMMAND_WINDOW_MS)),
      hasSpec: spec !== null,
    });
    const decision: DecisionRecord = {
      id: randomUUID(),
      modelName: model,
      outcome: verdict.acted ? 'ACTED' : 'DECLINED',
      declineReasons: verdict.declineReasons,
      reasons: verdict.reasons,
      triggerEventId: trigger.eventId,
      triggerEventType: trigger.eventType,
      // The run the command will create, known now so that the decision names it.
      runId: verdict.acted ? randomUUID() : null,
      newRows: newRows ?? 0,
      runsToday: actedToday,
      cooldownUntil: verdict.cooldownUntil,
      decidedAt: now,
    };
    await this.repository.saveDecision(manager, decision);
    await this.events.retrainingDecided(manager, decision, trigger.eventId);
    if (verdict.acted && spec && !commandSpec) {
      await this.events.trainModel(
        manager,
        {
          spec: { ...spec, modelName: model },
          trigger: trainerV1.RunTrigger.RUN_TRIGGER_RETRAINING_POLICY,
          reason: verdict.reasons.join('; '),
          decisionId: decision.id,
        },
        trigger.eventId,
      );
    }
    return decision;
  }

  decision(manager: EntityManager, decisionId: string): Promise<DecisionRecord | null> {
    return this.repository.decision(manager, decisionId);
  }

  /** Whether the trainer knows the model: someone set its retraining policy, or a run of it succeeded. */
  async knowsModel(manager: EntityManager, modelName: string): Promise<boolean> {
    return (await this.repository.policy(manager, modelName)) !== null || (await this.repository.lastSuccess(manager, modelName)) !== null;
  }

  recordDatasetVersion(
    manager: EntityManager,
    version: { dataset: string; version: number; rowCount: number; commitTime: Date | null },
  ): Promise<void> {
    return this.repository.recordDatasetVersion(manager, version.dataset, version.version, version.rowCount, version.commitTime);
  }

  async getPolicy(modelName: string): Promise<PolicySettings> {
    return this.transactions.run(async (manager) => (await this.repository.policy(manager, modelName)) ?? defaultPolicy(modelName));
  }

  async setPolicy(policy: PolicySettings, caller: CallerIdentity | undefined): Promise<PolicySettings> {
    await this.transactions.run((manager) =>
      this.repository.savePolicy(manager, policy, caller ? `${caller.team}/${caller.tokenId}` : '', this.clock.now()),
    );
    return policy;
  }

  /** Newest first; every model's when `modelName` is undefined. */
  async listDecisions(modelName: string | undefined, page: OffsetPage): Promise<{ items: DecisionRecord[]; page: commonV1.PageResponse }> {
    const rows = await this.transactions.run((manager) =>
      this.repository.listDecisions(manager, modelName ?? null, page.offset, page.limit + 1),
    );
    return offsetPageOf(rows, page);
  }
}
