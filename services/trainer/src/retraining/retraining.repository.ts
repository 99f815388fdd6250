import { Injectable } from '@nestjs/common';
import { trainerV1 } from '@flywheel/contracts';
import { type EntityManager, MoreThan, MoreThanOrEqual } from 'typeorm';
import { RunEntity } from '../runs/run.entity';
import { DatasetVersionEntity } from './dataset-version.entity';
import { ModelStateEntity } from './model-state.entity';
import { type PolicySettings } from './retraining-policy';
import { RetrainingDecisionEntity } from './retraining-decision.entity';
import { RetrainingPolicyEntity } from './retraining-policy.entity';

export interface LastSuccess {
  readonly runId: string;
  readonly spec: trainerV1.ModelSpec;
  readonly dataset: string | null;
  readonly datasetVersionTo: number | null;
}

export interface DecisionRecord {
  readonly id: string;
  readonly modelName: string;
  readonly outcome: 'ACTED' | 'DECLINED';
  readonly declineReasons: trainerV1.DeclineReason[];
  readonly reasons: string[];
  readonly triggerEventId: string;
  readonly triggerEventType: string;
  readonly runId: string | null;
  readonly newRows: number;
  readonly runsToday: number;
  readonly cooldownUntil: Date | null;
  readonly decidedAt: Date;
}

/** Retraining policies, decisions and what they are decided on. Every method runs in the caller's transaction. */
export abstract class RetrainingRepository {
  /**
   * Locks the model's row until the transaction ends, creating it if needed: concurrent
   * triggers for one model (two events, two consumers) decide one after the other, each
   * seeing what the previous one decided.
   */
  abstract lockModel(manager: EntityManager, modelName: string): Promise<void>;
  abstract hasDecided(manager: EntityManager, modelName: string, triggerEventId: string): Promise<boolean>;
  abstract policy(manager: EntityManager, modelName: string): Promise<PolicySettings | null>;
  abstract savePolicy(manager: EntityManager, policy: PolicySettings, updatedBy: string, at: Date): Promise<void>;
  abstract lastSuccess(manager: EntityManager, modelName: string): Promise<LastSuccess | null>;
  abstract lastActedAt(manager: EntityManager, modelName: string): Promise<Date | null>;
  abstract actedSince(manager: EntityManager, modelName: string, since: Date): Promise<number>;
  /** Rows committed to the dataset in versions after `version` (all versions when null). */
  abstract rowsAfter(manager: EntityManager, dataset: string, version: number | null): Promise<number>;
  /** A run of the model is queued or running, or an acted decision since `pendingSince` has no run yet. */
  abstract inFlight(manager: EntityManager, modelName: string, pendingSince: Date): Promise<boolean>;
  abstract saveDecision(manager: EntityManager, decision: DecisionRecord): Promise<void>;
  abstract decision(manager: EntityManager, decisionId: string): Promise<DecisionRecord | null>;
  abstract listDecisions(manager: EntityManager, modelName: string | null, offset: number, limit: number): Promise<DecisionRecord[]>;
  abstract recordDatasetVersion(
    manager: EntityManager,
    dataset: string,
    version: number,
    rowCount: number,
    committedAt: Date | null,
  ): Promise<void>;
}

const DECLINE = trainerV1.DeclineReason as unknown as Record<string, number> & Record<number, string>;

function decisionOf(row: RetrainingDecisionEntity): DecisionRecord {
  return {
    id: row.id,
    modelName: row.modelName,
    outcome: row.outcome,
    declineReasons: row.declineReasons.map((name) => DECLINE[name] ?? trainerV1.DeclineReason.UNRECOGNIZED) as trainerV1.DeclineReason[],
    reasons: row.reasons,
    triggerEventId: row.triggerEventId,
    triggerEventType: row.triggerEventType,
    runId: row.runId,
    newRows: row.newRows,
    runsToday: row.runsToday,
    cooldownUntil: row.cooldownUntil,
    decidedAt: row.decidedAt,
  };
}

@Injectable()
export class TypeOrmRetrainingRepository extends RetrainingRepository {
  async lockModel(manager: EntityManager, modelName: string): Promise<void> {
    await manager.createQueryBuilder().insert().into(ModelStateEntity).values({ modelName }).orIgnore().execute();
    await manager.findOne(ModelStateEntity, { where: { modelName }, lock: { mode: 'pessimistic_write' } });
  }

  async hasDecided(manager: EntityManager, modelName: string, triggerEventId: string): Promise<boolean> {
    return manager.existsBy(RetrainingDecisionEntity, { modelName, triggerEventId });
  }

  async policy(manager: EntityManager, modelName: string): Promise<PolicySettings | null> {
    const row = await manager.findOneBy(RetrainingPolicyEntity, { modelName });
    if (!row) return null;
    return {
      modelName: row.modelName,
      enabled: row.enabled,
      cooldownMs: row.cooldownMs,
      dailyBudget: row.dailyBudget,
      minNewRows: row.minNewRows,
      spec: row.spec ? trainerV1.ModelSpec.decode(row.spec) : null,
      onDrift: row.onDrift,
      onPerformanceDegraded: row.onPerformanceDegraded,
    };
  }

  async savePolicy(manager: EntityManager, policy: PolicySettings, updatedBy: string, at: Date): Promise<void> {
    await manager.upsert(
      RetrainingPolicyEntity,
      {
        modelName: policy.modelName,
        enabled: policy.enabled,
        cooldownMs: policy.cooldownMs,
        dailyBudget: policy.dailyBudget,
        minNewRows: policy.minNewRows,
        spec: policy.spec ? Buffer.from(trainerV1.ModelSpec.encode(policy.spec).finish()) : null,
        onDrift: policy.onDrift,
        onPerformanceDegraded: policy.onPerformanceDegraded,
        updatedBy,
        updatedAt: at,
      },
      ['modelName'],
    );
  }

  async lastSuccess(manager: EntityManager, modelName: string): Promise<LastSuccess | null> {
    const row = await manager.findOneBy(ModelStateEntity, { modelName });
    if (!row?.lastSuccessRunId || !row.lastSpec) return null;
    return {
      runId: row.lastSuccessRunId,
      spec: trainerV1.ModelSpec.decode(row.lastSpec),
      dataset: row.dataset,
      datasetVersionTo: row.datasetVersionTo,
    };
  }

  async lastActedAt(manager: EntityManager, modelName: string): Promise<Date | null> {
    const row = await manager
      .createQueryBuilder(RetrainingDecisionEntity, 'decision')
      .select('max(decision.decided_at)', 'at')
      .where({ modelName, outcome: 'ACTED' })
      .getRawOne<{ at: Date | null }>();
    return row?.at ?? null;
  }

  actedSince(manager: EntityManager, modelName: string, since: Date): Promise<number> {
    return manager.countBy(RetrainingDecisionEntity, { modelName, outcome: 'ACTED', decidedAt: MoreThanOrEqual(since) });
  }

  async rowsAfter(manager: EntityManager, dataset: string, version: number | null): Promise<number> {
    const total = await manager.sum(DatasetVersionEntity, 'rowCount', { dataset, version: MoreThan(version ?? 0) });
    return Number(total ?? 0);
  }

  async inFlight(manager: EntityManager, modelName: string, pendingSince: Date): Promise<boolean> {
    const running = await manager.existsBy(RunEntity, [
      { modelName, status: 'QUEUED' },
      { modelName, status: 'RUNNING' },
    ]);
    if (running) return true;
    return manager
      .createQueryBuilder(RetrainingDecisionEntity, 'decision')
      .where({ modelName, outcome: 'ACTED', decidedAt: MoreThanOrEqual(pendingSince) })
      .andWhere((query) => `NOT EXISTS ${query.subQuery().select('1').from(RunEntity, 'run').where('run.id = decision.runId').getQuery()}`)
      .getExists();
  }

  async saveDecision(manager: EntityManager, decision: DecisionRecord): Promise<void> {
    await manager.insert(RetrainingDecisionEntity, {
      ...decision,
      declineReasons: decision.declineReasons.map((reason) => DECLINE[reason] ?? String(reason)),
    });
  }

  async decision(manager: EntityManager, decisionId: string): Promise<DecisionRecord | null> {
    const row = await manager.findOneBy(RetrainingDecisionEntity, { id: decisionId });
    return row ? decisionOf(row) : null;
  }

  async listDecisions(manager: EntityManager, modelName: string | null, offset: number, limit: number): Promise<DecisionRecord[]> {
    const rows = await manager.find(RetrainingDecisionEntity, {
      where: modelName === null ? {} : { modelName },
      order: { decidedAt: 'DESC', id: 'DESC' },
      skip: offset,
      take: limit,
    });
    return rows.map(decisionOf);
  }

  async recordDatasetVersion(
    manager: EntityManager,
    dataset: string,
    version: number,
    rowCount: number,
    committedAt: Date | null,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(DatasetVersionEntity)
      .values({ dataset, version, rowCount, committedAt })
      .orIgnore()
      .execute();
  }
}
