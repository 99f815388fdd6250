import { Inject, Injectable } from '@nestjs/common';
import { type monitorV1 } from '@flywheel/contracts';
import { DataSource, type EntityManager, type FindOptionsWhere, IsNull } from 'typeorm';
import { AlertEntity } from './alert.entity';

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

/** An alert as first raised: its notification is the raise itself. */
export interface NewAlert {
  readonly alertId: string;
  readonly modelName: string;
  readonly modelVersion: number;
  readonly kind: monitorV1.AlertKind;
  readonly message: string;
  readonly reportId: string;
  readonly eventId: string;
  readonly raiseTime: Date;
}

/** The alerts and their cooldown bookkeeping. */
export abstract class AlertRepository {
  /** The open alert of a version and kind, locked for this transaction. */
  abstract findOpen(manager: EntityManager, modelName: string, modelVersion: number, kind: monitorV1.AlertKind): Promise<OpenAlert | null>;
  abstract raise(manager: EntityManager, alert: NewAlert): Promise<void>;
  /** The alert's event was published again: it now names that event and the latest report. */
  abstract renotify(
    manager: EntityManager,
    alertId: string,
    update: { message: string; reportId: string; eventId: string; time: Date },
  ): Promise<void>;
  /** One more bad window counted against the alert without publishing. */
  abstract suppress(manager: EntityManager, alertId: string): Promise<void>;
  abstract resolve(manager: EntityManager, modelName: string, modelVersion: number, kind: monitorV1.AlertKind, time: Date): Promise<void>;
  /** Newest first; callers read `limit + 1` rows to know whether a next page exists. */
  abstract list(filter: AlertFilter, offset: number, limit: number): Promise<AlertEntity[]>;
}

@Injectable()
export class TypeOrmAlertRepository extends AlertRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {
    super();
  }

  async findOpen(manager: EntityManager, modelName: string, modelVersion: number, kind: monitorV1.AlertKind): Promise<OpenAlert | null> {
    const row = await manager.findOne(AlertEntity, {
      select: { alertId: true, notifyTime: true },
      where: { modelName, modelVersion, kind, resolveTime: IsNull() },
      lock: { mode: 'pessimistic_write' },
    });
    return row ? { alertId: row.alertId, notifyTime: row.notifyTime } : null;
  }

  async raise(manager: EntityManager, alert: NewAlert): Promise<void> {
    await manager.insert(AlertEntity, {
      alertId: alert.alertId,
      modelName: alert.modelName,
      modelVersion: alert.modelVersion,
      kind: alert.kind,
      message: alert.message,
      reportId: alert.reportId,
      eventId: alert.eventId,
      raiseTime: alert.raiseTime,
      notifyTime: alert.raiseTime,
    });
  }

  async renotify(
    manager: EntityManager,
    alertId: string,
    update: { message: string; reportId: string; eventId: string; time: Date },
  ): Promise<void> {
    await manager.update(
      AlertEntity,
      { alertId },
      { message: update.message, reportId: update.reportId, eventId: update.eventId, notifyTime: update.time },
    );
  }

  async suppress(manager: EntityManager, alertId: string): Promise<void> {
    await manager.increment(AlertEntity, { alertId }, 'suppressed', 1);
  }

  async resolve(manager: EntityManager, modelName: string, modelVersion: number, kind: monitorV1.AlertKind, time: Date): Promise<void> {
    await manager.update(AlertEntity, { modelName, modelVersion, kind, resolveTime: IsNull() }, { resolveTime: time });
  }

  list(filter: AlertFilter, offset: number, limit: number): Promise<AlertEntity[]> {
    const where: FindOptionsWhere<AlertEntity> = {};
    if (filter.modelName) where.modelName = filter.modelName;
    if (filter.modelVersion !== undefined) where.modelVersion = filter.modelVersion;
    if (filter.kind) where.kind = filter.kind;
    if (filter.openOnly) where.resolveTime = IsNull();
    return this.dataSource.manager.find(AlertEntity, { where, order: { raiseTime: 'DESC', alertId: 'ASC' }, skip: offset, take: limit });
  }
}
