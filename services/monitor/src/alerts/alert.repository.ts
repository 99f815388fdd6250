import { Inject, Injectable } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { DataSource, type EntityManager } from 'typeorm';

export interface OpenAlert {
  readonly alertId: string;
  readonly notifyTime: Date;
}

export interface AlertFilter {
  readonly modelName?: string;
  readonly modelVersion?: number;
  readonly kind?: monitorV1.AlertKind;
  readonly openOnly?: boolean;
}

interface AlertRow {
  alert_id: string;
  model_name: string;
  model_version: number;
  kind: number;
  message: string;
  report_id: string;
  event_id: string;
  raise_time: Date;
  resolve_time: Date | null;
}

@Injectable()
export class AlertRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async findOpen(manager: EntityManager, modelName: string, modelVersion: number, kind: monitorV1.AlertKind): Promise<OpenAlert | null> {
    const [row] = await manager.query(
      `SELECT alert_id, notify_time FROM alerts WHERE model_name = $1 AND model_version = $2 AND kind = $3 AND resolve_time IS NULL FOR UPDATE`,
      [modelName, modelVersion, kind],
    );
    return row ? { alertId: row.alert_id, notifyTime: row.notify_time } : null;
  }

  async raise(manager: EntityManager, alert: monitorV1.Alert): Promise<void> {
    await manager.query(
      `INSERT INTO alerts (alert_id, model_name, model_version, kind, message, report_id, event_id, raise_time, notify_time)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
      [alert.alertId, alert.modelName, alert.modelVersion, alert.kind, alert.message, alert.reportId, alert.eventId, alert.raiseTime],
    );
  }

  /** The alert's event was published again: it now names that event and the latest report. */
  async renotify(manager: EntityManager, alertId: string, update: { message: string; reportId: string; eventId: string; time: Date }): Promise<void> {
    await manager.query(`UPDATE alerts SET message = $2, report_id = $3, event_id = $4, notify_time = $5 WHERE alert_id = $1`, [
      alertId,
      update.message,
      update.reportId,
      update.eventId,
      update.time,
    ]);
  }

  async suppress(manager: EntityManager, alertId: string): Promise<void> {
    await manager.query(`UPDATE alerts SET suppressed = suppressed + 1 WHERE alert_id = $1`, [alertId]);
  }

  async resolve(manager: EntityManager, modelName: string, modelVersion: number, kind: monitorV1.AlertKind, time: Date): Promise<void> {
    await manager.query(`UPDATE alerts SET resolve_time = $4 WHERE model_name = $1 AND model_version = $2 AND kind = $3 AND resolve_time IS NULL`, [
      modelName,
      modelVersion,
      kind,
      time,
    ]);
  }

  /** Newest first; `limit + 1` rows are read so the caller knows whether a next page exists. */
  async list(filter: AlertFilter, offset: number, limit: number): Promise<monitorV1.Alert[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.modelName) where.push(`model_name = $${params.push(filter.modelName)}`);
    if (filter.modelVersion !== undefined) where.push(`model_version = $${params.push(filter.modelVersion)}`);
    if (filter.kind) where.push(`kind = $${params.push(filter.kind)}`);
    if (filter.openOnly) where.push(`resolve_time IS NULL`);
    const rows: AlertRow[] = await this.dataSource.query(
      `SELECT * FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY raise_time DESC, alert_id LIMIT $${params.push(limit)} OFFSET $${params.push(offset)}`,
      params,
    );
    return rows.map((r) =>
      monitorV1.Alert.fromPartial({
        alertId: r.alert_id,
        modelName: r.model_name,
        modelVersion: r.model_version,
        kind: r.kind,
        message: r.message,
        reportId: r.report_id,
        eventId: r.event_id,
        raiseTime: r.raise_time,
        resolveTime: r.resolve_time ?? undefined,
      }),
    );
  }
}
