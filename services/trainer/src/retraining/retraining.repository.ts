import { Injectable } from '@nestjs/common';
import { trainerV1 } from '@flywheel/contracts';
import { type EntityManager } from 'typeorm';
import { type PolicySettings } from './retraining-policy';

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
  abstract runIdOfDecision(manager: EntityManager, decisionId: string): Promise<string | null>;
  abstract listDecisions(manager: EntityManager, modelName: string | null, offset: number, limit: number): Promise<DecisionRecord[]>;
  abstract recordDatasetVersion(manager: EntityManager, dataset: string, version: number, rowCount: number, committedAt: Date | null): Promise<void>;
}

interface DecisionRow {
  id: string;
  model_name: string;
  outcome: 'ACTED' | 'DECLINED';
  decline_reasons: string[];
  reasons: string[];
  trigger_event_id: string;
  trigger_event_type: string;
  run_id: string | null;
  new_rows: string;
  runs_today: number;
  cooldown_until: Date | null;
  decided_at: Date;
}

interface PolicyRow {
  model_name: string;
  enabled: boolean;
  cooldown_ms: string;
  daily_budget: number;
  min_new_rows: string;
  spec: Buffer | null;
  on_drift: boolean;
  on_performance_degraded: boolean;
}

const DECLINE = trainerV1.DeclineReason as unknown as Record<string, number> & Record<number, string>;

@Injectable()
export class SqlRetrainingRepository extends RetrainingRepository {
  async lockModel(manager: EntityManager, modelName: string): Promise<void> {
    await manager.query(`INSERT INTO model_states (model_name) VALUES ($1) ON CONFLICT DO NOTHING`, [modelName]);
    await manager.query(`SELECT model_name FROM model_states WHERE model_name = $1 FOR UPDATE`, [modelName]);
  }

  async hasDecided(manager: EntityManager, modelName: string, triggerEventId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM retraining_decisions WHERE model_name = $1 AND trigger_event_id = $2`, [modelName, triggerEventId]);
    return rows.length > 0;
  }

  async policy(manager: EntityManager, modelName: string): Promise<PolicySettings | null> {
    const rows: PolicyRow[] = await manager.query(`SELECT * FROM retraining_policies WHERE model_name = $1`, [modelName]);
    const row = rows[0];
    if (!row) return null;
    return {
      modelName: row.model_name,
      enabled: row.enabled,
      cooldownMs: Number(row.cooldown_ms),
      dailyBudget: row.daily_budget,
      minNewRows: Number(row.min_new_rows),
      spec: row.spec ? trainerV1.ModelSpec.decode(row.spec) : null,
      onDrift: row.on_drift,
      onPerformanceDegraded: row.on_performance_degraded,
    };
  }

  async savePolicy(manager: EntityManager, policy: PolicySettings, updatedBy: string, at: Date): Promise<void> {
    await manager.query(
      `INSERT INTO retraining_policies (model_name, enabled, cooldown_ms, daily_budget, min_new_rows, spec, on_drift, on_performance_degraded, updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (model_name) DO UPDATE
       SET enabled = EXCLUDED.enabled, cooldown_ms = EXCLUDED.cooldown_ms, daily_budget = EXCLUDED.daily_budget,
           min_new_rows = EXCLUDED.min_new_rows, spec = EXCLUDED.spec, on_drift = EXCLUDED.on_drift,
           on_performance_degraded = EXCLUDED.on_performance_degraded, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
      [
        policy.modelName,
        policy.enabled,
        policy.cooldownMs,
        policy.dailyBudget,
        policy.minNewRows,
        policy.spec ? Buffer.from(trainerV1.ModelSpec.encode(policy.spec).finish()) : null,
        policy.onDrift,
        policy.onPerformanceDegraded,
        updatedBy,
        at,
      ],
    );
  }

  async lastSuccess(manager: EntityManager, modelName: string): Promise<LastSuccess | null> {
    const rows: Array<{ last_success_run_id: string | null; last_spec: Buffer | null; dataset: string | null; dataset_version_to: number | null }> = await manager.query(
      `SELECT last_success_run_id, last_spec, dataset, dataset_version_to FROM model_states WHERE model_name = $1`,
      [modelName],
    );
    const row = rows[0];
    if (!row?.last_success_run_id || !row.last_spec) return null;
    return { runId: row.last_success_run_id, spec: trainerV1.ModelSpec.decode(row.last_spec), dataset: row.dataset, datasetVersionTo: row.dataset_version_to };
  }

  async lastActedAt(manager: EntityManager, modelName: string): Promise<Date | null> {
    const rows: Array<{ at: Date | null }> = await manager.query(
      `SELECT max(decided_at) AS at FROM retraining_decisions WHERE model_name = $1 AND outcome = 'ACTED'`,
      [modelName],
    );
    return rows[0]?.at ?? null;
  }

  async actedSince(manager: EntityManager, modelName: string, since: Date): Promise<number> {
    const rows: Array<{ n: number }> = await manager.query(
      `SELECT count(*)::int AS n FROM retraining_decisions WHERE model_name = $1 AND outcome = 'ACTED' AND decided_at >= $2`,
      [modelName, since],
    );
    return rows[0]?.n ?? 0;
  }

  async rowsAfter(manager: EntityManager, dataset: string, version: number | null): Promise<number> {
    const rows: Array<{ n: string }> = await manager.query(
      `SELECT coalesce(sum(row_count), 0)::bigint AS n FROM dataset_versions WHERE dataset = $1 AND version > $2`,
      [dataset, version ?? 0],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async inFlight(manager: EntityManager, modelName: string, pendingSince: Date): Promise<boolean> {
    const rows: Array<{ busy: boolean }> = await manager.query(
      `SELECT EXISTS (SELECT 1 FROM runs WHERE model_name = $1 AND status IN ('QUEUED', 'RUNNING'))
           OR EXISTS (SELECT 1 FROM retraining_decisions d
                      WHERE d.model_name = $1 AND d.outcome = 'ACTED' AND d.decided_at >= $2
                        AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = d.run_id)) AS busy`,
      [modelName, pendingSince],
    );
    return rows[0]?.busy ?? false;
  }

  async saveDecision(manager: EntityManager, decision: DecisionRecord): Promise<void> {
    await manager.query(
      `INSERT INTO retraining_decisions (id, model_name, outcome, decline_reasons, reasons, trigger_event_id, trigger_event_type,
                                         run_id, new_rows, runs_today, cooldown_until, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        decision.id,
        decision.modelName,
        decision.outcome,
        decision.declineReasons.map((reason) => DECLINE[reason] ?? String(reason)),
        decision.reasons,
        decision.triggerEventId,
        decision.triggerEventType,
        decision.runId,
        decision.newRows,
        decision.runsToday,
        decision.cooldownUntil,
        decision.decidedAt,
      ],
    );
  }

  async runIdOfDecision(manager: EntityManager, decisionId: string): Promise<string | null> {
    const rows: Array<{ run_id: string | null }> = await manager.query(`SELECT run_id FROM retraining_decisions WHERE id = $1`, [decisionId]);
    return rows[0]?.run_id ?? null;
  }

  async listDecisions(manager: EntityManager, modelName: string | null, offset: number, limit: number): Promise<DecisionRecord[]> {
    const rows: DecisionRow[] = await manager.query(
      `SELECT * FROM retraining_decisions WHERE ($1::text IS NULL OR model_name = $1)
       ORDER BY decided_at DESC, id DESC OFFSET $2 LIMIT $3`,
      [modelName, offset, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      modelName: row.model_name,
      outcome: row.outcome,
      declineReasons: row.decline_reasons.map((name) => DECLINE[name] ?? trainerV1.DeclineReason.UNRECOGNIZED) as trainerV1.DeclineReason[],
      reasons: row.reasons,
      triggerEventId: row.trigger_event_id,
      triggerEventType: row.trigger_event_type,
      runId: row.run_id,
      newRows: Number(row.new_rows),
      runsToday: row.runs_today,
      cooldownUntil: row.cooldown_until,
      decidedAt: row.decided_at,
    }));
  }

  async recordDatasetVersion(manager: EntityManager, dataset: string, version: number, rowCount: number, committedAt: Date | null): Promise<void> {
    await manager.query(
      `INSERT INTO dataset_versions (dataset, version, row_count, committed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [dataset, version, rowCount, committedAt],
    );
  }
}
