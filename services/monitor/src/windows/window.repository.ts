import { Inject, Injectable } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { queryRows } from '@flywheel/persistence';
import { DataSource, type EntityManager, In, MoreThan } from 'typeorm';
import { DriftReportEntity } from './drift-report.entity';
import { MonitorWindowEntity } from './monitor-window.entity';
import { PredictionIndexEntity } from './prediction-index.entity';
import { type JournalEntry } from './window-folder';
import { WindowJournalEntity } from './window-journal.entity';
import { type SerializedWindow } from './window-state';

/** A prediction or label value kept in the join index: its class key and/or number. */
export interface IndexedValue {
  readonly key: string | null;
  readonly number: number | null;
}

export interface IndexedPrediction {
  readonly modelName: string;
  readonly modelVersion: number;
  readonly deployment: string;
  readonly predicted: IndexedValue;
}

/** A journal entry of a model version. */
export interface JournalAppend {
  readonly modelName: string;
  readonly modelVersion: number;
  readonly item: JournalEntry;
}

export interface NewIndexedPrediction {
  readonly requestId: string;
  readonly modelName: string;
  readonly modelVersion: number;
  readonly deployment: string;
  readonly task: number;
  readonly predicted: IndexedValue;
  readonly predictTime: Date;
}

export interface StoredOpenWindow {
  readonly windowId: string;
  readonly sequence: number;
  readonly deployment: string;
  readonly state: SerializedWindow | null;
  readonly revision: number;
}

export interface WindowRecord {
  readonly windowId: string;
  readonly sequence: number;
  readonly status: 'open' | 'closed';
  readonly predictions: number;
  readonly labelled: number;
  readonly state: SerializedWindow | null;
  readonly startTime: Date | null;
  readonly endTime: Date | null;
  readonly reportId: string | null;
}

/** The open window's summaries after a fold. */
export interface OpenWindowUpdate {
  readonly windowId: string;
  readonly deployment: string;
  readonly state: SerializedWindow;
  readonly predictions: number;
  readonly labelled: number;
  readonly startTime: Date | null;
  readonly revision: number;
}

/** A window as it closes: its final summaries, its span, what closed it and its verdict. */
export interface WindowClosing {
  readonly windowId: string;
  readonly deployment: string;
  readonly state: SerializedWindow;
  readonly predictions: number;
  readonly labelled: number;
  readonly start: Date;
  readonly end: Date;
  readonly closedBy: string;
  readonly reportId: string;
  readonly metric: string | null;
  readonly metricValue: number | null;
}

export interface NextWindow {
  readonly windowId: string;
  readonly modelName: string;
  readonly modelVersion: number;
  readonly sequence: number;
  readonly deployment: string;
}

/**
 * Where a page of a model's reports resumes: the create time (ISO) and id of the previous page's
 * last report, the list's sort key (newest first, then id descending).
 */
export type ReportCursor = readonly [createTime: string, reportId: string];

/** Which of a model's reports a list reads: a `[start, end)` range on create time, and after a cursor. */
export interface ReportQuery {
  readonly start?: Date;
  readonly end?: Date;
  readonly after?: ReportCursor;
}

/** How long and how much the request id → prediction index keeps. */
export interface JoinIndexLimits {
  readonly retentionMs: number;
  readonly maxRows: number;
  /** How long a label waits for its prediction before it is dropped as unmatched. */
  readonly labelWaitMs: number;
  readonly maxWaitingLabels: number;
}

/**
 * The join index (request id → prediction, bounded by age and size), the journal of committed
 * predictions and labels not yet folded, the windows and the drift reports.
 */
export abstract class WindowRepository {
  /**
   * Indexes predictions (distinct request ids) for the label join. For each one indexed now, the
   * label that arrived before it, or null; a request id already predicted (a duplicate log line)
   * is left out.
   */
  abstract indexPredictions(
    manager: EntityManager,
    predictions: readonly NewIndexedPrediction[],
  ): Promise<Map<string, IndexedValue | null>>;
  /**
   * Indexes a label. Returns null for a request id already labelled (the first label counts),
   * else its prediction if that arrived already (otherwise the label waits for it).
   */
  abstract indexLabel(
    manager: EntityManager,
    requestId: string,
    label: IndexedValue,
    labelTime: Date,
  ): Promise<{ prediction: IndexedPrediction | null } | null>;
  /** Appends entries, of any versions, in one insert. */
  abstract appendJournal(manager: EntityManager, entries: readonly JournalAppend[]): Promise<void>;
  /** Versions with unfolded journal rows or an open window (which may expire by time). */
  abstract activeStreams(): Promise<Array<{ modelName: string; modelVersion: number }>>;
  /** The open window of a version, locked for this transaction (created empty if there is none). */
  abstract lockOpenWindow(manager: EntityManager, modelName: string, modelVersion: number, newId: string): Promise<StoredOpenWindow>;
  /** The oldest unfolded journal rows of a version, locked for this transaction. */
  abstract readJournal(
    manager: EntityManager,
    modelName: string,
    modelVersion: number,
    limit: number,
  ): Promise<Array<{ id: string; item: JournalEntry }>>;
  abstract deleteJournal(manager: EntityManager, ids: readonly string[]): Promise<void>;
  abstract saveOpenWindow(manager: EntityManager, window: OpenWindowUpdate): Promise<void>;
  abstract closeWindow(manager: EntityManager, window: WindowClosing): Promise<void>;
  /** Opens the window that follows a closed one (inside the transaction that closed it). */
  abstract openWindow(manager: EntityManager, window: NextWindow): Promise<void>;
  abstract saveReport(manager: EntityManager, windowId: string, report: monitorV1.DriftReport): Promise<void>;
  /** A report of the model by id, or its latest when `reportId` is null. */
  abstract findReport(modelName: string, reportId: string | null): Promise<monitorV1.DriftReport | null>;
  /**
   * Up to `limit` reports of the model, newest first (create time, then id, both descending), as
   * stored (with their profiles); the `drift_reports_model` index serves the order.
   */
  abstract listReports(modelName: string, query: ReportQuery, limit: number): Promise<monitorV1.DriftReport[]>;
  abstract latestReportOf(modelName: string, modelVersion: number): Promise<monitorV1.DriftReport | null>;
  abstract openWindowOf(modelName: string, modelVersion: number): Promise<WindowRecord | null>;
  /** Drops index rows past their retention, then the oldest beyond the size cap; returns how many. */
  /** Drops what the join index may no longer keep; says how many predictions and unmatched labels went. */
  abstract pruneJoinIndex(limits: JoinIndexLimits): Promise<{ predictions: number; unmatchedLabels: number }>;
}

@Injectable()
export class TypeOrmWindowRepository extends WindowRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  // One statement: ids must be distinct, since one statement cannot upsert a row twice.
  async indexPredictions(manager: EntityManager, ps: readonly NewIndexedPrediction[]): Promise<Map<string, IndexedValue | null>> {
    if (ps.length === 0) return new Map();
    // Raw: a conditional upsert (ON CONFLICT … DO UPDATE … WHERE) whose RETURNING tells a duplicate apart.
    const rows = await queryRows<{ request_id: string; label: IndexedValue | null }>(
      manager,
      `INSERT INTO prediction_index (request_id, model_name, model_version, deployment, task, predicted, predict_time)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int[], $6::jsonb[], $7::timestamptz[])
       ON CONFLICT (request_id) DO UPDATE SET model_name = EXCLUDED.model_name, model_version = EXCLUDED.model_version,
         deployment = EXCLUDED.deployment, task = EXCLUDED.task, predicted = EXCLUDED.predicted, predict_time = EXCLUDED.predict_time
       WHERE prediction_index.predicted IS NULL
       RETURNING request_id, label`,
      [
        ps.map((p) => p.requestId),
        ps.map((p) => p.modelName),
        ps.map((p) => p.modelVersion),
        ps.map((p) => p.deployment),
        ps.map((p) => p.task),
        ps.map((p) => JSON.stringify(p.predicted)),
        ps.map((p) => p.predictTime),
      ],
    );
    return new Map(rows.map((r) => [r.request_id, r.label]));
  }

  async indexLabel(
    manager: EntityManager,
    requestId: string,
    label: IndexedValue,
    labelTime: Date,
  ): Promise<{ prediction: IndexedPrediction | null } | null> {
    // Raw: a conditional upsert (ON CONFLICT … DO UPDATE … WHERE) whose RETURNING tells a second label apart.
    const rows = await queryRows<{
      model_name: string | null;
      model_version: number | null;
      deployment: string | null;
      predicted: IndexedValue | null;
    }>(
      manager,
      `INSERT INTO prediction_index (request_id, label, label_time) VALUES ($1, $2, $3)
       ON CONFLICT (request_id) DO UPDATE SET label = EXCLUDED.label, label_time = EXCLUDED.label_time
       WHERE prediction_index.label IS NULL
       RETURNING model_name, model_version, deployment, predicted`,
      [requestId, JSON.stringify(label), labelTime],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    if (row.predicted === null || row.model_name === null || row.model_version === null) return { prediction: null };
    return {
      prediction: {
        modelName: row.model_name,
        modelVersion: row.model_version,
        deployment: row.deployment ?? '',
        predicted: row.predicted,
      },
    };
  }

  async appendJournal(manager: EntityManager, entries: readonly JournalAppend[]): Promise<void> {
    if (entries.length === 0) return;
    // Raw: a batch's entries as seven arrays, in their order (the ids are the fold order). Built by
    // the query builder, a multi-row insert cost the monitor more than the rest of the batch did.
    await queryRows(
      manager,
      `INSERT INTO window_journal (model_name, model_version, deployment, event_id, kind, payload, event_time)
       SELECT model_name, model_version, deployment, event_id, kind, payload, event_time
       FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::timestamptz[])
         WITH ORDINALITY AS entries(model_name, model_version, deployment, event_id, kind, payload, event_time, position)
       ORDER BY position`,
      [
        entries.map((e) => e.modelName),
        entries.map((e) => e.modelVersion),
        entries.map((e) => e.item.deployment),
        entries.map((e) => e.item.eventId),
        entries.map((e) => e.item.kind),
        entries.map((e) => JSON.stringify(e.item.entry)),
        entries.map((e) => new Date(e.item.time)),
      ],
    );
  }

  async activeStreams(): Promise<Array<{ modelName: string; modelVersion: number }>> {
    const manager = this.dataSource.manager;
    const journalled = await manager
      .createQueryBuilder(WindowJournalEntity, 'j')
      .select('j.modelName', 'modelName')
      .addSelect('j.modelVersion', 'modelVersion')
      .distinct(true)
      .getRawMany<{ modelName: string; modelVersion: number }>();
    const open = await manager.find(MonitorWindowEntity, {
      select: { windowId: true, modelName: true, modelVersion: true },
      where: { status: 'open', predictions: MoreThan(0) },
    });
    const streams = new Map<string, { modelName: string; modelVersion: number }>();
    for (const r of journalled)
      streams.set(`${r.modelName}\u0000${r.modelVersion}`, { modelName: r.modelName, modelVersion: r.modelVersion });
    for (const w of open) streams.set(`${w.modelName}\u0000${w.modelVersion}`, { modelName: w.modelName, modelVersion: w.modelVersion });
    return [...streams.values()];
  }

  async lockOpenWindow(manager: EntityManager, modelName: string, modelVersion: number, newId: string): Promise<StoredOpenWindow> {
    // Raw: the insert numbers the window in the same statement and yields to the partial unique
    // index on open windows (ON CONFLICT … WHERE status = 'open').
    await queryRows(
      manager,
      `INSERT INTO monitor_windows (window_id, model_name, model_version, sequence, status)
       SELECT $1, $2, $3, COALESCE(MAX(sequence), 0) + 1, 'open' FROM monitor_windows WHERE model_name = $2 AND model_version = $3
       ON CONFLICT (model_name, model_version) WHERE status = 'open' DO NOTHING`,
      [newId, modelName, modelVersion],
    );
    const row = await manager.findOneOrFail(MonitorWindowEntity, {
      select: { windowId: true, sequence: true, deployment: true, state: true, revision: true },
      where: { modelName, modelVersion, status: 'open' },
      lock: { mode: 'pessimistic_write' },
    });
    return { windowId: row.windowId, sequence: row.sequence, deployment: row.deployment, state: row.state, revision: row.revision };
  }

  async readJournal(
    manager: EntityManager,
    modelName: string,
    modelVersion: number,
    limit: number,
  ): Promise<Array<{ id: string; item: JournalEntry }>> {
    const rows = await manager.find(WindowJournalEntity, {
      where: { modelName, modelVersion },
      order: { id: 'ASC' },
      take: limit,
      lock: { mode: 'pessimistic_write' },
    });
    return rows.map((r) => ({
      id: String(r.id),
      item: { kind: r.kind, eventId: r.eventId, time: r.eventTime.getTime(), deployment: r.deployment, entry: r.payload } as JournalEntry,
    }));
  }

  async deleteJournal(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await manager.delete(WindowJournalEntity, { id: In([...ids]) });
  }

  async saveOpenWindow(manager: EntityManager, w: OpenWindowUpdate): Promise<void> {
    await manager.update(
      MonitorWindowEntity,
      { windowId: w.windowId },
      {
        deployment: w.deployment,
        state: w.state,
        predictions: w.predictions,
        labelled: w.labelled,
        startTime: w.startTime,
        revision: w.revision,
      },
    );
  }

  async closeWindow(manager: EntityManager, w: WindowClosing): Promise<void> {
    await manager.update(
      MonitorWindowEntity,
      { windowId: w.windowId },
      {
        status: 'closed',
        deployment: w.deployment,
        state: w.state,
        predictions: w.predictions,
        labelled: w.labelled,
        startTime: w.start,
        endTime: w.end,
        closedByEvent: w.closedBy,
        reportId: w.reportId,
        metric: w.metric,
        metricValue: w.metricValue,
        closeTime: () => 'now()',
      },
    );
  }

  async openWindow(manager: EntityManager, w: NextWindow): Promise<void> {
    await manager.insert(MonitorWindowEntity, {
      windowId: w.windowId,
      modelName: w.modelName,
      modelVersion: w.modelVersion,
      sequence: w.sequence,
      status: 'open',
      deployment: w.deployment,
    });
  }

  async saveReport(manager: EntityManager, windowId: string, report: monitorV1.DriftReport): Promise<void> {
    await manager.insert(DriftReportEntity, {
      reportId: report.reportId,
      modelName: report.modelName,
      modelVersion: report.modelVersion,
      windowId,
      datasetDrift: report.datasetDrift,
      report: Buffer.from(monitorV1.DriftReport.encode(report).finish()),
      createTime: report.createTime,
    });
  }

  async findReport(modelName: string, reportId: string | null): Promise<monitorV1.DriftReport | null> {
    const reports = this.dataSource.manager
      .createQueryBuilder(DriftReportEntity, 'r')
      .select(['r.reportId', 'r.report'])
      .where('r.model_name = :modelName', { modelName });
    const row =
      reportId === null
        ? await reports.orderBy('r.create_time', 'DESC').getOne()
        : // Compared as text: an id that is not a uuid finds nothing rather than failing the query.
          await reports.andWhere('r.report_id::text = :reportId', { reportId }).getOne();
    return row ? monitorV1.DriftReport.decode(row.report) : null;
  }

  async listReports(modelName: string, query: ReportQuery, limit: number): Promise<monitorV1.DriftReport[]> {
    const reports = this.dataSource.manager
      .createQueryBuilder(DriftReportEntity, 'r')
      .select(['r.reportId', 'r.report'])
      .where('r.model_name = :modelName', { modelName });
    if (query.start) reports.andWhere('r.create_time >= :start', { start: query.start });
    if (query.end) reports.andWhere('r.create_time < :end', { end: query.end });
    if (query.after) {
      const [afterTime, afterId] = query.after;
      // The first condition alone bounds the index scan; the second breaks ties of create time by id.
      reports.andWhere('r.create_time <= :afterTime AND (r.create_time < :afterTime OR r.report_id < :afterId)', {
        afterTime: new Date(afterTime),
        afterId,
      });
    }
    const rows = await reports.orderBy('r.create_time', 'DESC').addOrderBy('r.report_id', 'DESC').limit(limit).getMany();
    return rows.map((row) => monitorV1.DriftReport.decode(row.report));
  }

  async latestReportOf(modelName: string, modelVersion: number): Promise<monitorV1.DriftReport | null> {
    const row = await this.dataSource.manager.findOne(DriftReportEntity, {
      select: { reportId: true, report: true },
      where: { modelName, modelVersion },
      order: { createTime: 'DESC' },
    });
    return row ? monitorV1.DriftReport.decode(row.report) : null;
  }

  async openWindowOf(modelName: string, modelVersion: number): Promise<WindowRecord | null> {
    const row = await this.dataSource.manager.findOne(MonitorWindowEntity, { where: { modelName, modelVersion, status: 'open' } });
    return row
      ? {
          windowId: row.windowId,
          sequence: row.sequence,
          status: row.status,
          predictions: row.predictions,
          labelled: row.labelled,
          state: row.state,
          startTime: row.startTime,
          endTime: row.endTime,
          reportId: row.reportId,
        }
      : null;
  }

  async pruneJoinIndex(limits: JoinIndexLimits): Promise<{ predictions: number; unmatchedLabels: number }> {
    const index = () => this.dataSource.manager.createQueryBuilder().delete().from(PredictionIndexEntity);
    // Labels still waiting for their prediction (no model yet) first: past their wait, or beyond their own cap.
    const lateLabels = await index()
      .where(`model_name IS NULL AND create_time < now() - (CAST(:wait AS bigint) * interval '1 millisecond')`, {
        wait: limits.labelWaitMs,
      })
      .execute();
    const crowdingLabels = await index()
      .where(`request_id IN (SELECT request_id FROM prediction_index WHERE model_name IS NULL ORDER BY create_time DESC OFFSET :max)`, {
        max: limits.maxWaitingLabels,
      })
      .execute();
    const expired = await index()
      .where(`create_time < now() - (CAST(:retentionMs AS bigint) * interval '1 millisecond')`, { retentionMs: limits.retentionMs })
      .execute();
    const overflow = await index()
      .where(`request_id IN (SELECT request_id FROM prediction_index ORDER BY create_time DESC OFFSET :maxRows)`, {
        maxRows: limits.maxRows,
      })
      .execute();
    return {
      predictions: (expired.affected ?? 0) + (overflow.affected ?? 0),
      unmatchedLabels: (lateLabels.affected ?? 0) + (crowdingLabels.affected ?? 0),
    };
  }
}
