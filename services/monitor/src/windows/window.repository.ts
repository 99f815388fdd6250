import { Inject, Injectable } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import { type JournalEntry } from './window-folder';
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

/**
 * The join index (request id → prediction, bounded by age and size), the journal of committed
 * predictions and labels not yet folded, the windows and the drift reports.
 */
@Injectable()
export class WindowRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Indexes a prediction for the label join. Returns null for a request id already predicted
   * (a duplicate log line), else the label that arrived before the prediction, if one did.
   */
  async indexPrediction(
    manager: EntityManager,
    p: { requestId: string; modelName: string; modelVersion: number; deployment: string; task: number; predicted: IndexedValue; predictTime: Date },
  ): Promise<{ label: IndexedValue | null } | null> {
    const rows: Array<{ label: IndexedValue | null }> = await manager.query(
      `INSERT INTO prediction_index (request_id, model_name, model_version, deployment, task, predicted, predict_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (request_id) DO UPDATE SET model_name = EXCLUDED.model_name, model_version = EXCLUDED.model_version,
         deployment = EXCLUDED.deployment, task = EXCLUDED.task, predicted = EXCLUDED.predicted, predict_time = EXCLUDED.predict_time
       WHERE prediction_index.predicted IS NULL
       RETURNING label`,
      [p.requestId, p.modelName, p.modelVersion, p.deployment, p.task, JSON.stringify(p.predicted), p.predictTime],
    );
    return rows.length === 0 ? null : { label: rows[0].label };
  }

  /**
   * Indexes a label. Returns null for a request id already labelled (the first label counts),
   * else its prediction if that arrived already (otherwise the label waits for it).
   */
  async indexLabel(manager: EntityManager, requestId: string, label: IndexedValue, labelTime: Date): Promise<{ prediction: IndexedPrediction | null } | null> {
    const rows: Array<{ model_name: string | null; model_version: number | null; deployment: string | null; predicted: IndexedValue | null }> = await manager.query(
      `INSERT INTO prediction_index (request_id, label, label_time) VALUES ($1, $2, $3)
       ON CONFLICT (request_id) DO UPDATE SET label = EXCLUDED.label, label_time = EXCLUDED.label_time
       WHERE prediction_index.label IS NULL
       RETURNING model_name, model_version, deployment, predicted`,
      [requestId, JSON.stringify(label), labelTime],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    if (row.predicted === null || row.model_name === null || row.model_version === null) return { prediction: null };
    return { prediction: { modelName: row.model_name, modelVersion: row.model_version, deployment: row.deployment ?? '', predicted: row.predicted } };
  }

  async appendJournal(manager: EntityManager, modelName: string, modelVersion: number, item: JournalEntry): Promise<void> {
    await manager.query(
      `INSERT INTO window_journal (model_name, model_version, deployment, event_id, kind, payload, event_time) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [modelName, modelVersion, item.deployment, item.eventId, item.kind, JSON.stringify(item.entry), new Date(item.time)],
    );
  }

  /** Versions with unfolded journal rows or an open window (which may expire by time). */
  async activeStreams(): Promise<Array<{ modelName: string; modelVersion: number }>> {
    const rows: Array<{ model_name: string; model_version: number }> = await this.dataSource.query(
      `SELECT DISTINCT model_name, model_version FROM window_journal
       UNION SELECT model_name, model_version FROM monitor_windows WHERE status = 'open' AND predictions > 0`,
    );
    return rows.map((r) => ({ modelName: r.model_name, modelVersion: r.model_version }));
  }

  /** The open window of a version, locked for this transaction (created empty if there is none). */
  async lockOpenWindow(manager: EntityManager, modelName: string, modelVersion: number, newId: string): Promise<StoredOpenWindow> {
    await manager.query(
      `INSERT INTO monitor_windows (window_id, model_name, model_version, sequence, status)
       SELECT $1, $2, $3, COALESCE(MAX(sequence), 0) + 1, 'open' FROM monitor_windows WHERE model_name = $2 AND model_version = $3
       ON CONFLICT (model_name, model_version) WHERE status = 'open' DO NOTHING`,
      [newId, modelName, modelVersion],
    );
    const [row] = await manager.query(
      `SELECT window_id, sequence, deployment, state, revision FROM monitor_windows
       WHERE model_name = $1 AND model_version = $2 AND status = 'open' FOR UPDATE`,
      [modelName, modelVersion],
    );
    return { windowId: row.window_id, sequence: row.sequence, deployment: row.deployment, state: row.state, revision: Number(row.revision) };
  }

  async readJournal(manager: EntityManager, modelName: string, modelVersion: number, limit: number): Promise<Array<{ id: string; item: JournalEntry }>> {
    const rows: Array<{ id: string; event_id: string; kind: 'prediction' | 'label'; payload: never; event_time: Date; deployment: string }> = await manager.query(
      `SELECT id, event_id, kind, payload, event_time, deployment FROM window_journal
       WHERE model_name = $1 AND model_version = $2 ORDER BY id LIMIT $3 FOR UPDATE`,
      [modelName, modelVersion, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      item: { kind: r.kind, eventId: r.event_id, time: r.event_time.getTime(), deployment: r.deployment, entry: r.payload } as JournalEntry,
    }));
  }

  async deleteJournal(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await manager.query(`DELETE FROM window_journal WHERE id = ANY($1::bigint[])`, [ids]);
  }

  async saveOpenWindow(
    manager: EntityManager,
    w: { windowId: string; deployment: string; state: SerializedWindow; predictions: number; labelled: number; startTime: Date | null; revision: number },
  ): Promise<void> {
    await manager.query(
      `UPDATE monitor_windows SET deployment = $2, state = $3, predictions = $4, labelled = $5, start_time = $6, revision = $7 WHERE window_id = $1`,
      [w.windowId, w.deployment, JSON.stringify(w.state), w.predictions, w.labelled, w.startTime, w.revision],
    );
  }

  async closeWindow(
    manager: EntityManager,
    w: {
      windowId: string;
      deployment: string;
      state: SerializedWindow;
      predictions: number;
      labelled: number;
      start: Date;
      end: Date;
      closedBy: string;
      reportId: string;
      metric: string | null;
      metricValue: number | null;
    },
  ): Promise<void> {
    await manager.query(
      `UPDATE monitor_windows SET status = 'closed', deployment = $2, state = $3, predictions = $4, labelled = $5, start_time = $6,
         end_time = $7, closed_by_event = $8, report_id = $9, metric = $10, metric_value = $11, close_time = now()
       WHERE window_id = $1`,
      [w.windowId, w.deployment, JSON.stringify(w.state), w.predictions, w.labelled, w.start, w.end, w.closedBy, w.reportId, w.metric, w.metricValue],
    );
  }

  /** Opens the window that follows a closed one (inside the transaction that closed it). */
  async openWindow(manager: EntityManager, w: { windowId: string; modelName: string; modelVersion: number; sequence: number; deployment: string }): Promise<void> {
    await manager.query(
      `INSERT INTO monitor_windows (window_id, model_name, model_version, sequence, status, deployment) VALUES ($1, $2, $3, $4, 'open', $5)`,
      [w.windowId, w.modelName, w.modelVersion, w.sequence, w.deployment],
    );
  }

  async saveReport(manager: EntityManager, windowId: string, report: monitorV1.DriftReport): Promise<void> {
    await manager.query(
      `INSERT INTO drift_reports (report_id, model_name, model_version, window_id, dataset_drift, report, create_time) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [report.reportId, report.modelName, report.modelVersion, windowId, report.datasetDrift, Buffer.from(monitorV1.DriftReport.encode(report).finish()), report.createTime],
    );
  }

  async findReport(modelName: string, reportId: string | null): Promise<monitorV1.DriftReport | null> {
    const rows: Array<{ report: Buffer }> = reportId
      ? await this.dataSource.query(`SELECT report FROM drift_reports WHERE model_name = $1 AND report_id::text = $2`, [modelName, reportId])
      : await this.dataSource.query(`SELECT report FROM drift_reports WHERE model_name = $1 ORDER BY create_time DESC LIMIT 1`, [modelName]);
    return rows.length === 0 ? null : monitorV1.DriftReport.decode(rows[0].report);
  }

  async latestReportOf(modelName: string, modelVersion: number): Promise<monitorV1.DriftReport | null> {
    const rows: Array<{ report: Buffer }> = await this.dataSource.query(
      `SELECT report FROM drift_reports WHERE model_name = $1 AND model_version = $2 ORDER BY create_time DESC LIMIT 1`,
      [modelName, modelVersion],
    );
    return rows.length === 0 ? null : monitorV1.DriftReport.decode(rows[0].report);
  }

  async openWindowOf(modelName: string, modelVersion: number): Promise<WindowRecord | null> {
    const [row] = await this.dataSource.query(
      `SELECT window_id, sequence, status, predictions, labelled, state, start_time, end_time, report_id FROM monitor_windows
       WHERE model_name = $1 AND model_version = $2 AND status = 'open'`,
      [modelName, modelVersion],
    );
    return row
      ? {
          windowId: row.window_id,
          sequence: row.sequence,
          status: row.status,
          predictions: Number(row.predictions),
          labelled: Number(row.labelled),
          state: row.state,
          startTime: row.start_time,
          endTime: row.end_time,
          reportId: row.report_id,
        }
      : null;
  }

  /** Drops index rows past their retention, then the oldest beyond the size cap. */
  async pruneJoinIndex(retentionMs: number, maxRows: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected].
    const [, expired]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM prediction_index WHERE create_time < now() - ($1::bigint * interval '1 millisecond')`,
      [retentionMs],
    );
    const [, overflow]: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM prediction_index WHERE request_id IN (
         SELECT request_id FROM prediction_index ORDER BY create_time DESC OFFSET $1
       )`,
      [maxRows],
    );
    return expired + overflow;
  }
}
