import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, durationFromMillis, durationToMillis, trainerV1 } from '@flywheel/contracts';
import { TransactionRunner } from '@flywheel/persistence';
import { type CallerIdentity, type FieldViolation, invalidArgument, InvalidArgumentException, Clock, type OffsetPage, offsetPageOf } from '@flywheel/platform';
import { type EntityManager } from 'typeorm';
import { MODEL_NAME_PATTERN, validateSpec } from '../runs/model-spec';
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
   */
  async decide(manager: EntityManager, trigger: RetrainingTrigger): Promise<DecisionRecord | null> {
    const model = trigger.modelName;
    await this.repository.lockModel(manager, model);
    if (await this.repository.hasDecided(manager, model, trigger.eventId)) return null;
    const now = this.clock.now();
    const policy = (await this.repository.policy(manager, model)) ?? defaultPolicy(model);
    const last = await this.repository.lastSuccess(manager, model);
    const spec = policy.spec ?? last?.spec ?? null;
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
    await this.events.retrainingDecided(manager, decisionToProto(decision), trigger.eventId);
    if (verdict.acted && spec) {
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

  runIdOfDecision(manager: EntityManager, decisionId: string): Promise<string | null> {
    return this.repository.runIdOfDecision(manager, decisionId);
  }

  recordDatasetVersion(manager: EntityManager, version: { dataset: string; version: number; rowCount: number; commitTime: Date | null }): Promise<void> {
    return this.repository.recordDatasetVersion(manager, version.dataset, version.version, version.rowCount, version.commitTime);
  }

  async getPolicy(modelName: string): Promise<PolicySettings> {
    if (!MODEL_NAME_PATTERN.test(modelName)) throw invalidArgument('model_name', 'must match [a-z][a-z0-9_-]{0,62}');
    return this.transactions.run(async (manager) => (await this.repository.policy(manager, modelName)) ?? defaultPolicy(modelName));
  }

  async setPolicy(input: trainerV1.RetrainingPolicy | null | undefined, caller: CallerIdentity | undefined): Promise<PolicySettings> {
    const policy = policyFromProto(input);
    await this.transactions.run((manager) => this.repository.savePolicy(manager, policy, caller ? `${caller.team}/${caller.tokenId}` : '', this.clock.now()));
    return policy;
  }

  async listDecisions(modelName: string, page: OffsetPage): Promise<{ items: DecisionRecord[]; page: commonV1.PageResponse }> {
    if (modelName && !MODEL_NAME_PATTERN.test(modelName)) throw invalidArgument('model_name', 'must match [a-z][a-z0-9_-]{0,62}');
    const rows = await this.transactions.run((manager) => this.repository.listDecisions(manager, modelName || null, page.offset, page.limit + 1));
    return offsetPageOf(rows, page);
  }
}

/** Checks a policy from SetRetrainingPolicy, naming each bad field. */
export function policyFromProto(input: trainerV1.RetrainingPolicy | null | undefined): PolicySettings {
  if (input == null) throw invalidArgument('policy', 'is required');
  const policy = trainerV1.RetrainingPolicy.fromPartial(input);
  const violations: FieldViolation[] = [];
  const bad = (field: string, reason: string): void => {
    violations.push({ field: `policy.${field}`, reason });
  };
  if (!MODEL_NAME_PATTERN.test(policy.modelName)) bad('model_name', 'must match [a-z][a-z0-9_-]{0,62}');
  const cooldownMs = durationToMillis(policy.cooldown, 0);
  if (!(cooldownMs >= 0)) bad('cooldown', 'must not be negative');
  if (!Number.isInteger(policy.dailyBudget) || policy.dailyBudget < 1) bad('daily_budget', 'must be at least 1');
  if (!Number.isSafeInteger(policy.minNewRows) || policy.minNewRows < 0) bad('min_new_rows', 'must be 0 or positive');
  let spec: trainerV1.ModelSpec | null = null;
  if (policy.spec != null) {
    const given = { ...policy.spec, modelName: policy.spec.modelName || policy.modelName };
    if (given.modelName !== policy.modelName) bad('spec.model_name', `must be empty or "${policy.modelName}", the policy's model`);
    try {
      spec = validateSpec(given, 'policy.spec').spec;
    } catch (error) {
      if (!(error instanceof InvalidArgumentException)) throw error;
      violations.push(...error.violations);
    }
  }
  if (violations.length > 0) throw new InvalidArgumentException(violations);
  return {
    modelName: policy.modelName,
    enabled: policy.enabled,
    cooldownMs,
    dailyBudget: policy.dailyBudget,
    minNewRows: policy.minNewRows,
    spec,
    onDrift: policy.onDrift,
    onPerformanceDegraded: policy.onPerformanceDegraded,
  };
}

export function policyToProto(policy: PolicySettings): trainerV1.RetrainingPolicy {
  return trainerV1.RetrainingPolicy.fromPartial({
    modelName: policy.modelName,
    enabled: policy.enabled,
    cooldown: durationFromMillis(policy.cooldownMs),
    dailyBudget: policy.dailyBudget,
    minNewRows: policy.minNewRows,
    spec: policy.spec ?? undefined,
    onDrift: policy.onDrift,
    onPerformanceDegraded: policy.onPerformanceDegraded,
  });
}

export function decisionToProto(decision: DecisionRecord): trainerV1.RetrainingDecision {
  return trainerV1.RetrainingDecision.fromPartial({
    decisionId: decision.id,
    modelName: decision.modelName,
    outcome: decision.outcome === 'ACTED' ? trainerV1.DecisionOutcome.DECISION_OUTCOME_ACTED : trainerV1.DecisionOutcome.DECISION_OUTCOME_DECLINED,
    declineReasons: decision.declineReasons,
    reasons: decision.reasons,
    triggerEventId: decision.triggerEventId,
    triggerEventType: decision.triggerEventType,
    runId: decision.runId ?? '',
    newRows: decision.newRows,
    runsToday: decision.runsToday,
    cooldownUntil: decision.cooldownUntil ?? undefined,
    decideTime: decision.decidedAt,
  });
}
