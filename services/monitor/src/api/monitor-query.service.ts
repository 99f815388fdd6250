import { Inject, Injectable } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { offsetPageOf, pageOf, type PageRequestLike, type PageResponseLike, readOffsetPage, readPage } from '@flywheel/platform';
import { type AlertEntity } from '../alerts/alert.entity';
import { type AlertFilter, AlertRepository } from '../alerts/alert.repository';
import { ReferenceRepository } from '../reference/reference.repository';
import { tallyAccuracy } from '../windows/window-judge';
import { type ReportCursor, WindowRepository } from '../windows/window.repository';
import { MonitorException, MonitorExceptionCode } from './monitor.exception';
import { UUID } from './monitor.requests';

const { AlertKind, HealthStatus } = monitorV1;

/** A page token of ListDriftReports holds the last report's create time (ISO) and id. */
const isReportCursor = (value: unknown): value is ReportCursor =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  !Number.isNaN(Date.parse(value[0])) &&
  typeof value[1] === 'string' &&
  UUID.test(value[1]);

/** How a watched model version is doing: its verdict, its open window and its open alerts. */
export interface ModelHealth {
  readonly modelName: string;
  readonly modelVersion: number;
  readonly status: monitorV1.HealthStatus;
  readonly windowPredictions: number;
  readonly windowLabelled: number;
  /** Live accuracy of the open window; null without labels. */
  readonly accuracy: number | null;
  /** The holdout accuracy it is compared with; null for regression or when unknown. */
  readonly referenceAccuracy: number | null;
  readonly latestReport: monitorV1.DriftReport | null;
  readonly openAlerts: readonly AlertEntity[];
}

/** The read side of the gRPC API: reports, health and alerts. */
@Injectable()
export class MonitorQueryService {
  constructor(
    @Inject(WindowRepository) private readonly windows: WindowRepository,
    @Inject(ReferenceRepository) private readonly references: ReferenceRepository,
    @Inject(AlertRepository) private readonly alerts: AlertRepository,
  ) {}

  /** A report of the model by id, or its latest when `reportId` is undefined. */
  async driftReport(modelName: string, reportId: string | undefined): Promise<monitorV1.DriftReport> {
    const report = await this.windows.findReport(modelName, reportId ?? null);
    if (report === null) {
      throw reportId
        ? new MonitorException(`drift report "${reportId}" of model "${modelName}" not found`, MonitorExceptionCode.REPORT_NOT_FOUND)
        : new MonitorException(`model "${modelName}" has no drift report yet`, MonitorExceptionCode.REPORT_NOT_FOUND);
    }
    return report;
  }

  /**
   * One page of the model's reports in `[start, end)` of create time, newest first, each without
   * its current profile (the heavy part; GetDriftReport gives one report whole). A model without
   * reports, or never seen, has an empty list, as alerts do.
   */
  async listDriftReports(
    modelName: string,
    range: { start?: Date; end?: Date },
    pageRequest: PageRequestLike | undefined,
  ): Promise<{ reports: monitorV1.DriftReport[]; page: PageResponseLike }> {
    const page = readPage(pageRequest, isReportCursor);
    const rows = await this.windows.listReports(modelName, { start: range.start, end: range.end, after: page.after }, page.size + 1);
    const listed = pageOf(rows, page, (last): ReportCursor => [(last.createTime ?? new Date(0)).toISOString(), last.reportId]);
    return { reports: listed.items.map((report) => ({ ...report, currentProfile: undefined })), page: listed.page };
  }

  async modelHealth(modelName: string): Promise<ModelHealth> {
    const version = await this.references.watchedVersion(modelName);
    if (version === null) throw new MonitorException(`model "${modelName}" is not monitored`, MonitorExceptionCode.MODEL_NOT_MONITORED);
    const [reference, open, latest, openAlerts] = await Promise.all([
      this.references.find(modelName, version),
      this.windows.openWindowOf(modelName, version),
      this.windows.latestReportOf(modelName, version),
      this.alerts.list({ modelName, modelVersion: version, openOnly: true }, 0, 100),
    ]);
    const degraded = openAlerts.some((a) => a.kind === AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED);
    const status = degraded
      ? HealthStatus.HEALTH_STATUS_DEGRADED
      : latest === null
        ? HealthStatus.HEALTH_STATUS_UNKNOWN
        : latest.datasetDrift
          ? HealthStatus.HEALTH_STATUS_DRIFTING
          : HealthStatus.HEALTH_STATUS_HEALTHY;
    return {
      modelName,
      modelVersion: version,
      status,
      windowPredictions: open?.predictions ?? 0,
      windowLabelled: open?.labelled ?? 0,
      accuracy: open?.state ? tallyAccuracy(open.state.labels) : null,
      referenceAccuracy: reference?.metric === 'accuracy' ? reference.referenceValue : null,
      latestReport: latest,
      openAlerts,
    };
  }

  /** One page of alerts matching the filter, newest first. */
  async listAlerts(
    filter: AlertFilter,
    pageRequest: PageRequestLike | undefined,
  ): Promise<{ alerts: AlertEntity[]; page: PageResponseLike }> {
    const page = readOffsetPage(pageRequest);
    const rows = await this.alerts.list(filter, page.offset, page.limit + 1);
    const listed = offsetPageOf(rows, page);
    return { alerts: listed.items, page: listed.page };
  }
}
