import { Inject, Injectable } from '@nestjs/common';
import { commonV1, trainerV1 } from '@flywheel/contracts';
import { queryRows } from '@flywheel/persistence';
import { DataSource, type EntityManager, In, IsNull } from 'typeorm';
import { ModelStateEntity } from '../retraining/model-state.entity';
import { type RawParam } from './model-spec';
import { type RunFilter, type RunRecord, type TrialOutcome, type TrialRecord } from './run-record';
import { RunEntity } from './run.entity';
import { type NewTrialRun, trialRuns } from './trial-runs';

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
  /** A search's trials, each written as a run of its own (a child of this one). */
  readonly trials: readonly TrialOutcome[];
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

/** Where runs live. A port, so that what decides about runs can be tested without a database. */
export abstract class RunsRepository {
  /** Inserts a queued run; null when its request id or cause event id already has a run. */
  abstract insert(manager: EntityManager, run: NewRun): Promise<RunRecord | null>;
  abstract findByRequestId(manager: EntityManager, requestId: string): Promise<RunRecord | null>;
  abstract findByCauseEventId(manager: EntityManager, eventId: string): Promise<RunRecord | null>;
  abstract get(id: string): Promise<RunRecord | null>;
  /** The run, its row locked until the transaction ends. */
  abstract findForUpdate(manager: EntityManager, id: string): Promise<RunRecord | null>;
  abstract getMany(ids: readonly string[]): Promise<RunRecord[]>;
  /** Newest first; a search's trials in the order they were tried. */
  abstract list(filter: RunFilter, offset: number, limit: number): Promise<RunRecord[]>;
  /**
   * Takes the oldest queued run (or a running one whose claim lapsed: its process died) for
   * `owner` until `leaseUntil`, counting the attempt. Concurrent claimers never get the same run.
   */
  abstract claimNext(owner: string, now: Date, leaseUntil: Date): Promise<RunRecord | null>;
  /** False when the claim was lost (another process took the run over). */
  abstract renewLease(id: string, owner: string, leaseUntil: Date): Promise<boolean>;
  /** Records the result of a claimed run, and its trials' runs; null when `owner` no longer holds it. */
  abstract succeed(manager: EntityManager, id: string, owner: string, result: RunSuccess): Promise<RunRecord | null>;
  /** Fails a run that is queued, or running under `owner` (null: whoever holds it). */
  abstract fail(manager: EntityManager, id: string, owner: string | null, failure: RunFailure): Promise<RunRecord | null>;
  /** Remembers the spec of a model's last successful run: what the retraining policy trains next. */
  abstract saveLastSuccess(manager: EntityManager, run: RunRecord): Promise<void>;
}

/** Enum values are stored by name, so the table reads well and survives renumbering. */
function enumName<E extends Record<string, string | number>>(enumObject: E, value: number): string {
  return String((enumObject as Record<number, string>)[value] ?? value);
}

function enumValue<E extends Record<string, string | number>>(enumObject: E, name: string): number {
  const value = (enumObject as Record<string, string | number>)[name];
  return typeof value === 'number' ? value : -1;
}

/** A run without its trials: withTrials adds a search's. */
function toRecord(row: RunEntity): RunRecord {
  return {
    id: row.id,
    modelName: row.modelName,
    requestId: row.requestId,
    causeEventId: row.causeEventId,
    decisionId: row.decisionId,
    status: row.status,
    trigger: enumValue(trainerV1.RunTrigger, row.trigger),
    spec: trainerV1.ModelSpec.decode(row.spec),
    seed: row.seed,
    params: row.params,
    metrics: row.metrics,
    trials: [],
    parentRunId: row.parentRunId,
    artifact: row.artifact,
    lineage: row.lineage ? commonV1.TrainingLineage.decode(row.lineage) : null,
    holdout: row.holdout ? commonV1.Holdout.decode(row.holdout) : null,
    failureCode: row.failureCode === null ? null : enumValue(trainerV1.FailureCode, row.failureCode),
    error: row.error,
    actor: { team: row.actorTeam, tokenId: row.actorTokenId, service: row.actorService },
    attempts: row.attempts,
    durationMs: row.durationMs,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
  };
}

function bytes(message: Uint8Array): Buffer {
  return Buffer.from(message);
}

function toTrialRecord(row: RunEntity, metric: string): TrialRecord {
  return { runId: row.id, params: row.params, metricValue: row.metrics[metric] ?? Number.NaN, rows: row.trialRows ?? 0 };
}

function trialRow(trial: NewTrialRun): Partial<RunEntity> {
  return {
    id: trial.id,
    parentRunId: trial.parentRunId,
    trialNumber: trial.trialNumber,
    trialRows: trial.rows,
    modelName: trial.modelName,
    status: 'SUCCEEDED',
    trigger: enumName(trainerV1.RunTrigger, trial.trigger),
    spec: bytes(trainerV1.ModelSpec.encode(trial.spec).finish()),
    seed: trial.seed,
    params: { ...trial.params },
    metrics: { ...trial.metrics },
    actorTeam: trial.actor.team,
    actorTokenId: trial.actor.tokenId,
    actorService: trial.actor.service,
    durationMs: trial.endedAt.getTime() - trial.startedAt.getTime(),
    createdAt: trial.startedAt,
    startedAt: trial.startedAt,
    endedAt: trial.endedAt,
  };
}

@Injectable()
export class TypeOrmRunsRepository extends RunsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async insert(manager: EntityManager, run: NewRun): Promise<RunRecord | null> {
    const result = await manager
      .createQueryBuilder()
      .insert()
      .into(RunEntity)
      .values({
        id: run.id,
        modelName: run.modelName,
        requestId: run.requestId,
        causeEventId: run.causeEventId,
        decisionId: run.decisionId,
        status: 'QUEUED',
        trigger: enumName(trainerV1.RunTrigger, run.trigger),
        spec: bytes(trainerV1.ModelSpec.encode(run.spec).finish()),
        seed: run.seed,
        actorTeam: run.actor.team,
        actorTokenId: run.actor.tokenId,
        actorService: run.actor.service,
        createdAt: run.createdAt,
      })
      .orIgnore()
      .returning(['id'])
      .execute();
    if ((result.raw as unknown[]).length !== 1) return null;
    return this.find(manager, { id: run.id });
  }

  findByRequestId(manager: EntityManager, requestId: string): Promise<RunRecord | null> {
    return this.find(manager, { requestId });
  }

  findByCauseEventId(manager: EntityManager, eventId: string): Promise<RunRecord | null> {
    return this.find(manager, { causeEventId: eventId });
  }

  get(id: string): Promise<RunRecord | null> {
    return this.find(this.dataSource.manager, { id });
  }

  async findForUpdate(manager: EntityManager, id: string): Promise<RunRecord | null> {
    const row = await manager.findOne(RunEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    return row ? (await this.withTrials(manager, [row]))[0]! : null;
  }

  async getMany(ids: readonly string[]): Promise<RunRecord[]> {
    const manager = this.dataSource.manager;
    return this.withTrials(manager, await manager.findBy(RunEntity, { id: In([...ids]) }));
  }

  async list(filter: RunFilter, offset: number, limit: number): Promise<RunRecord[]> {
    const manager = this.dataSource.manager;
    const rows = await manager.find(RunEntity, {
      where: {
        ...(filter.modelName === undefined ? {} : { modelName: filter.modelName }),
        ...(filter.status === undefined ? {} : { status: filter.status }),
        parentRunId: filter.parentRunId ?? IsNull(),
      },
      order: filter.parentRunId === undefined ? { createdAt: 'DESC', id: 'DESC' } : { trialNumber: 'ASC' },
      skip: offset,
      take: limit,
    });
    return this.withTrials(manager, rows);
  }

  async claimNext(owner: string, now: Date, leaseUntil: Date): Promise<RunRecord | null> {
    // Raw SQL: the claim is one statement (UPDATE of a FOR UPDATE SKIP LOCKED subselect), atomic without a transaction.
    const claimed = await queryRows<{ id: string }>(
      this.dataSource.manager,
      `UPDATE runs
       SET status = 'RUNNING', attempts = attempts + 1, lease_owner = $1, lease_until = $3, started_at = $2
       WHERE id = (
         SELECT id FROM runs
         WHERE status = 'QUEUED' OR (status = 'RUNNING' AND lease_until < $2)
         ORDER BY created_at, id
         FOR UPDATE SKIP LOCKED
         LIMIT 1)
       RETURNING id`,
      [owner, now, leaseUntil],
    );
    return claimed.length === 1 ? this.find(this.dataSource.manager, { id: claimed[0]!.id }) : null;
  }

  async renewLease(id: string, owner: string, leaseUntil: Date): Promise<boolean> {
    const result = await this.dataSource.manager
      .createQueryBuilder()
      .update(RunEntity)
      .set({ leaseUntil })
      .where({ id, leaseOwner: owner, status: 'RUNNING' })
      .execute();
    return result.affected === 1;
  }

  async succeed(manager: EntityManager, id: string, owner: string, result: RunSuccess): Promise<RunRecord | null> {
    const updated = await manager
      .createQueryBuilder()
      .update(RunEntity)
      .set({
        status: 'SUCCEEDED',
        params: { ...result.params },
        metrics: { ...result.metrics },
        artifact: result.artifact,
        lineage: bytes(commonV1.TrainingLineage.encode(result.lineage).finish()),
        holdout: bytes(commonV1.Holdout.encode(result.holdout).finish()),
        durationMs: result.durationMs,
        endedAt: result.endedAt,
        leaseOwner: null,
        leaseUntil: null,
      })
      .where({ id, status: 'RUNNING', leaseOwner: owner })
      .execute();
    if (updated.affected !== 1) return null;
    if (result.trials.length > 0) {
      const search = (await this.find(manager, { id }))!;
      await manager.insert(RunEntity, trialRuns(search, result.trials).map(trialRow));
    }
    return this.find(manager, { id });
  }

  async fail(manager: EntityManager, id: string, owner: string | null, failure: RunFailure): Promise<RunRecord | null> {
    const updated = await manager
      .createQueryBuilder()
      .update(RunEntity)
      .set({
        status: 'FAILED',
        failureCode: enumName(trainerV1.FailureCode, failure.failureCode),
        error: failure.error,
        durationMs: failure.durationMs,
        endedAt: failure.endedAt,
        leaseOwner: null,
        leaseUntil: null,
      })
      .where(
        owner === null
          ? [
              { id, status: 'QUEUED' },
              { id, status: 'RUNNING' },
            ]
          : [
              { id, status: 'QUEUED' },
              { id, status: 'RUNNING', leaseOwner: owner },
            ],
      )
      .execute();
    return updated.affected === 1 ? this.find(manager, { id }) : null;
  }

  async saveLastSuccess(manager: EntityManager, run: RunRecord): Promise<void> {
    await manager.upsert(
      ModelStateEntity,
      {
        modelName: run.modelName,
        lastSuccessRunId: run.id,
        lastSpec: bytes(trainerV1.ModelSpec.encode(run.spec).finish()),
        dataset: run.lineage?.dataset ?? null,
        datasetVersionTo: run.lineage?.datasetVersionTo ?? null,
        updatedAt: run.endedAt ?? new Date(),
      },
      ['modelName'],
    );
  }

  private async find(
    manager: EntityManager,
    where: { id: string } | { requestId: string } | { causeEventId: string },
  ): Promise<RunRecord | null> {
    const row = await manager.findOneBy(RunEntity, where);
    return row ? (await this.withTrials(manager, [row]))[0]! : null;
  }

  /** The records of `rows`, each search with its trials (one query for all of them). */
  private async withTrials(manager: EntityManager, rows: RunEntity[]): Promise<RunRecord[]> {
    const searches = rows.filter((row) => row.parentRunId === null).map((row) => row.id);
    const children =
      searches.length === 0
        ? []
        : await manager.find(RunEntity, { where: { parentRunId: In(searches) }, order: { parentRunId: 'ASC', trialNumber: 'ASC' } });
    const trials = new Map<string, RunEntity[]>();
    for (const child of children) {
      const siblings = trials.get(child.parentRunId!);
      if (siblings) siblings.push(child);
      else trials.set(child.parentRunId!, [child]);
    }
    return rows.map((row) => {
      const record = toRecord(row);
      return { ...record, trials: (trials.get(row.id) ?? []).map((child) => toTrialRecord(child, record.spec.metric)) };
    });
  }
}
