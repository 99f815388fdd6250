import { Inject, Injectable } from '@nestjs/common';
import { commonV1, trainerV1 } from '@flywheel/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import { type RawParam } from './model-spec';
import { type RunRecord, type RunState, type TrialRecord } from './run.entity';

export interface NewRun {
  readonly id: string;
  readonly modelName: string;
  readonly requestId: string | null;
  readonly causeEventId: string | null;
  readonly decisionId: string | null;
  readonly trigger: trainerV1.RunTrigger;
  readonly spec: trainerV1.ModelSpec;
  readonly seed: number;
  readonly actor: commonV1.Actor;
  readonly createdAt: Date;
}

export interface RunSuccess {
  readonly params: Readonly<Record<string, RawParam>>;
  readonly metrics: Readonly<Record<string, number>>;
  readonly trials: readonly TrialRecord[];
  readonly artifact: commonV1.ObjectRef;
  readonly lineage: commonV1.TrainingLineage;
  readonly holdout: commonV1.Holdout;
  readonly durationMs: number;
  readonly endedAt: Date;
}

export interface RunFailure {
  readonly failureCode: trainerV1.FailureCode;
  readonly error: string;
  readonly durationMs: number;
  readonly endedAt: Date;
}

export interface RunFilter {
  readonly modelName?: string;
  readonly status?: RunState;
}

/** Where runs live. A port, so that what decides about runs can be tested without a database. */
export abstract class RunsRepository {
  /** Inserts a queued run; null when its request id or cause event id already has a run. */
  abstract insert(manager: EntityManager, run: NewRun): Promise<RunRecord | null>;
  abstract findByRequestId(manager: EntityManager, requestId: string): Promise<RunRecord | null>;
  abstract findByCauseEventId(manager: EntityManager, eventId: string): Promise<RunRecord | null>;
  abstract get(id: string): Promise<RunRecord | null>;
  abstract getMany(ids: readonly string[]): Promise<RunRecord[]>;
  /** Newest first. */
  abstract list(filter: RunFilter, offset: number, limit: number): Promise<RunRecord[]>;
  /**
   * Takes the oldest queued run (or a running one whose claim lapsed: its process died) for
   * `owner` until `leaseUntil`, counting the attempt. Concurrent claimers never get the same run.
   */
  abstract claimNext(owner: string, now: Date, leaseUntil: Date): Promise<RunRecord | null>;
  /** False when the claim was lost (another process took the run over). */
  abstract renewLease(id: string, owner: string, leaseUntil: Date): Promise<boolean>;
  /** Records the result of a claimed run; null when `owner` no longer holds it. */
  abstract succeed(manager: EntityManager, id: string, owner: string, result: RunSuccess): Promise<RunRecord | null>;
  /** Fails a run that is queued, or running under `owner` (null: whoever holds it). */
  abstract fail(manager: EntityManager, id: string, owner: string | null, failure: RunFailure): Promise<RunRecord | null>;
  /** Remembers the spec of a model's last successful run: what the retraining policy trains next. */
  abstract saveLastSuccess(manager: EntityManager, run: RunRecord): Promise<void>;
}

interface RunRow {
  id: string;
  model_name: string;
  request_id: string | null;
  cause_event_id: string | null;
  decision_id: string | null;
  status: RunState;
  trigger: string;
  spec: Buffer;
  seed: string;
  params: Record<string, RawParam>;
  metrics: Record<string, number>;
  trials: TrialRecord[];
  artifact: commonV1.ObjectRef | null;
  lineage: Buffer | null;
  holdout: Buffer | null;
  failure_code: string | null;
  error: string;
  actor_team: string;
  actor_token_id: string;
  actor_service: string;
  attempts: number;
  duration_ms: number | null;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

/** Enum values are stored by name, so the table reads well and survives renumbering. */
function enumName<E extends Record<string, string | number>>(enumObject: E, value: number): string {
  return String((enumObject as Record<number, string>)[value] ?? value);
}

function enumValue<E extends Record<string, string | number>>(enumObject: E, name: string): number {
  const value = (enumObject as Record<string, string | number>)[name];
  return typeof value === 'number' ? value : -1;
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    modelName: row.model_name,
    requestId: row.request_id,
    causeEventId: row.cause_event_id,
    decisionId: row.decision_id,
    status: row.status,
    trigger: enumValue(trainerV1.RunTrigger, row.trigger),
    spec: trainerV1.ModelSpec.decode(row.spec),
    seed: Number(row.seed),
    params: row.params,
    metrics: row.metrics,
    trials: row.trials,
    artifact: row.artifact,
    lineage: row.lineage ? commonV1.TrainingLineage.decode(row.lineage) : null,
    holdout: row.holdout ? commonV1.Holdout.decode(row.holdout) : null,
    failureCode: row.failure_code === null ? null : enumValue(trainerV1.FailureCode, row.failure_code),
    error: row.error,
    actor: { team: row.actor_team, tokenId: row.actor_token_id, service: row.actor_service },
    attempts: row.attempts,
    durationMs: row.duration_ms,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

function bytes(message: Uint8Array): Buffer {
  return Buffer.from(message);
}

/** TypeORM's UPDATE … RETURNING answers `[rows, count]`; INSERT/SELECT answer the rows. */
function returned(result: unknown): RunRow[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as RunRow[];
  return result as RunRow[];
}

@Injectable()
export class SqlRunsRepository extends RunsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async insert(manager: EntityManager, run: NewRun): Promise<RunRecord | null> {
    const rows = returned(
      await manager.query(
        `INSERT INTO runs (id, model_name, request_id, cause_event_id, decision_id, status, trigger, spec, seed,
                           actor_team, actor_token_id, actor_service, created_at)
         VALUES ($1, $2, $3, $4, $5, 'QUEUED', $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT DO NOTHING
         RETURNING *`,
        [
          run.id,
          run.modelName,
          run.requestId,
          run.causeEventId,
          run.decisionId,
          enumName(trainerV1.RunTrigger, run.trigger),
          bytes(trainerV1.ModelSpec.encode(run.spec).finish()),
          run.seed,
          run.actor.team,
          run.actor.tokenId,
          run.actor.service,
          run.createdAt,
        ],
      ),
    );
    return rows.length === 1 ? toRecord(rows[0]!) : null;
  }

  async findByRequestId(manager: EntityManager, requestId: string): Promise<RunRecord | null> {
    const rows: RunRow[] = await manager.query(`SELECT * FROM runs WHERE request_id = $1`, [requestId]);
    return rows.length === 1 ? toRecord(rows[0]!) : null;
  }

  async findByCauseEventId(manager: EntityManager, eventId: string): Promise<RunRecord | null> {
    const rows: RunRow[] = await manager.query(`SELECT * FROM runs WHERE cause_event_id = $1`, [eventId]);
    return rows.length === 1 ? toRecord(rows[0]!) : null;
  }

  async get(id: string): Promise<RunRecord | null> {
    const rows: RunRow[] = await this.dataSource.query(`SELECT * FROM runs WHERE id = $1`, [id]);
    return rows.length === 1 ? toRecord(rows[0]!) : null;
  }

  async getMany(ids: readonly string[]): Promise<RunRecord[]> {
    const rows: RunRow[] = await this.dataSource.query(`SELECT * FROM runs WHERE id = ANY($1::uuid[])`, [ids]);
    return rows.map(toRecord);
  }

  async list(filter: RunFilter, offset: number, limit: number): Promise<RunRecord[]> {
    const rows: RunRow[] = await this.dataSource.query(
      `SELECT * FROM runs
       WHERE ($1::text IS NULL OR model_name = $1) AND ($2::text IS NULL OR status = $2)
       ORDER BY created_at DESC, id DESC
       OFFSET $3 LIMIT $4`,
      [filter.modelName ?? null, filter.status ?? null, offset, limit],
    );
    return rows.map(toRecord);
  }

  async claimNext(owner: string, now: Date, leaseUntil: Date): Promise<RunRecord | null> {
    const rows = returned(
      await this.dataSource.query(
        `UPDATE runs
         SET status = 'RUNNING', attempts = attempts + 1, lease_owner = $1, lease_until = $3, started_at = $2
         WHERE id = (
           SELECT id FROM runs
           WHERE status = 'QUEUED' OR (status = 'RUNNING' AND lease_until < $2)
           ORDER BY created_at, id
           FOR UPDATE SKIP LOCKED
           LIMIT 1)
         RETURNING *`,
        [owner, now, leaseUntil],
      ),
    );
    return rows.length === 1 ? toRecord(rows[0]!) : null;
  }

  async renewLease(id: string, owner: string, leaseUntil: Date): Promise<boolean> {
    const rows = returned(
      await this.dataSource.query(
        `UPDATE runs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING' RETURNING id`,
        [id, owner, leaseUntil],
      ),
    );
    return rows.length === 1;
  }

  async succeed(manager: EntityManager, id: string, owner: string, result: RunSuccess): Promise<RunRecord | null> {
    const rows = returned(
      await manager.query(
        `UPDATE runs
         SET status = 'SUCCEEDED', params = $3, metrics = $4, trials = $5, artifact = $6, lineage = $7, holdout = $8,
             duration_ms = $9, ended_at = $10, lease_owner = NULL, lease_until = NULL
         WHERE id = $1 AND status = 'RUNNING' AND lease_owner = $2
         RETURNING *`,
        [
          id,
          owner,
          JSON.stringify(result.params),
          JSON.stringify(result.metrics),
          JSON.stringify(result.trials),
          JSON.stringify(result.artifact),
          bytes(commonV1.TrainingLineage.encode(result.lineage).finish()),
          bytes(commonV1.Holdout.encode(result.holdout).finish()),
          result.durationMs,
          result.endedAt,
        ],
      ),
    );
    return rows.length === 1 ? toRecord(rows[0]!) : null;
  }

  async fail(manager: EntityManager, id: string, owner: string | null, failure: RunFailure): Promise<RunRecord | null> {
    const rows = returned(
      await manager.query(
        `UPDATE runs
         SET status = 'FAILED', failure_code = $3, error = $4, duration_ms = $5, ended_at = $6, lease_owner = NULL, lease_until = NULL
         WHERE id = $1 AND (status = 'QUEUED' OR (status = 'RUNNING' AND ($2::text IS NULL OR lease_owner = $2)))
         RETURNING *`,
        [id, owner, enumName(trainerV1.FailureCode, failure.failureCode), failure.error, failure.durationMs, failure.endedAt],
      ),
    );
    return rows.length === 1 ? toRecord(rows[0]!) : null;
  }

  async saveLastSuccess(manager: EntityManager, run: RunRecord): Promise<void> {
    await manager.query(
      `INSERT INTO model_states (model_name, last_success_run_id, last_spec, dataset, dataset_version_to, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (model_name) DO UPDATE
       SET last_success_run_id = EXCLUDED.last_success_run_id, last_spec = EXCLUDED.last_spec, dataset = EXCLUDED.dataset,
           dataset_version_to = EXCLUDED.dataset_version_to, updated_at = EXCLUDED.updated_at`,
      [
        run.modelName,
        run.id,
        bytes(trainerV1.ModelSpec.encode(run.spec).finish()),
        run.lineage?.dataset ?? null,
        run.lineage?.datasetVersionTo ?? null,
        run.endedAt ?? new Date(),
      ],
    );
  }
}
