import { Inject, Injectable } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { offsetPageOf, readOffsetPage } from '@flywheel/platform';
import { AlertRepository } from '../alerts/alert.repository';
import { ReferenceRepository } from '../reference/reference.repository';
import { tallyAccuracy } from '../windows/window-judge';
import { WindowRepository } from '../windows/window.repository';
import { MonitorException, MonitorExceptionCode } from './monitor.exception';

const { AlertKind, HealthStatus } = monitorV1;

/** The read side of the gRPC API: reports, health and alerts. */
@Injectable()
export class MonitorQueryService {
  constructor(
    @Inject(WindowRepository) private readonly windows: WindowRepository,
    @Inject(ReferenceRepository) private readonly references: ReferenceRepository,
    @Inject(AlertRepository) private readonly alerts: AlertRepository,
  ) {}

  async driftReport(modelName: string, reportId: string): Promise<monitorV1.DriftReport> {
    const report = await this.windows.findReport(modelName, reportId || null);
    if (report === null) {
      throw reportId
        ? new MonitorException(`drift report "${reportId}" of model "${modelName}" not found`, MonitorExceptionCode.REPORT_NOT_FOUND)
        : new MonitorException(`model "${modelName}" has no drift report yet`, MonitorExceptionCode.REPORT_NOT_FOUND);
    }
    return report;
  }

  async modelHealth(modelName: string): Promise<monitorV1.GetModelHealthResponse> {
    const version = await this.references.watchedVersion(modelName);
    if (version === null) throw new MonitorException(`model "${modelName}" is not monitored`, MonitorExceptionCode.MODEL_NOT_MONITORED);
    const [reference, open, latest, openAlerts] = await Promise.all([
      this.references.find(modelName, version),
      this.windows.openWindowOf(modelName, version),
      this.windows.latestReportOf(modelName, version),
      this.alerts.list({ modelName, modelVersion: version, openOnly: true }, 0, 100),
    ]);
    const accuracy = open?.state ? tallyAccuracy(open.state.labels) : null;
    const degraded = openAlerts.some((a) => a.kind === AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED);
    const status = degraded
      ? HealthStatus.HEALTH_STATUS_DEGRADED
      : latest === null
        ? HealthStatus.HEALTH_STATUS_UNKNOWN
        : latest.datasetDrift
          ? HealthStatus.HEALTH_STATUS_DRIFTING
          : HealthStatus.HEALTH_STATUS_HEALTHY;
    return monitorV1.GetModelHealthResponse.fromPartial({
      modelName,
      modelVersion: version,
      status,
      windowPredictions: open?.predictions ?? 0,
      windowLabelled: open?.labelled ?? 0,
      accuracy: accuracy ?? undefined,
      referenceAccuracy: reference?.metric === 'accuracy' && reference.referenceValue !== null ? reference.referenceValue : undefined,
      latestReport: latest ?? undefined,
      openAlerts,
    });
  }

  async listAlerts(request: monitorV1.ListAlertsRequest): Promise<monitorV1.ListAlertsResponse> {
    const page = readOffsetPage(request.page);
    const rows = await this.alerts.list({ modelName: request.modelName || undefined, kind: request.kind || undefined, openOnly: request.openOnly }, page.offset, page.limit + 1);
    const listed = offsetPageOf(rows, page);
    return { alerts: listed.items, page: listed.page };
  }
}
