import { Controller, Inject } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { parseRequest } from '@flywheel/platform';
import { effectivePolicy, parsePolicy } from '../policy/monitoring-policy';
import { MonitoringPolicyService } from '../policy/monitoring-policy.service';
import { MonitorQueryService } from './monitor-query.service';
import { toListAlertsResponse, toModelHealthResponse, toPolicyResponse } from './monitor.mapper';
import { alertsRequest, modelRequest, reportRequest, reportsRequest } from './monitor.requests';

@Controller()
@monitorV1.MonitorServiceControllerMethods()
export class MonitorGrpcController implements monitorV1.MonitorServiceController {
  constructor(
    @Inject(MonitorQueryService) private readonly queries: MonitorQueryService,
    @Inject(MonitoringPolicyService) private readonly policies: MonitoringPolicyService,
  ) {}

  async getDriftReport(request: monitorV1.GetDriftReportRequest): Promise<monitorV1.GetDriftReportResponse> {
    const { modelName, reportId } = parseRequest(reportRequest, request);
    return { report: await this.queries.driftReport(modelName, reportId) };
  }

  async listDriftReports(request: monitorV1.ListDriftReportsRequest): Promise<monitorV1.ListDriftReportsResponse> {
    const { modelName, createTimeRange } = parseRequest(reportsRequest, request);
    return this.queries.listDriftReports(modelName, createTimeRange, request.page);
  }

  async getModelHealth(request: monitorV1.GetModelHealthRequest): Promise<monitorV1.GetModelHealthResponse> {
    const { modelName } = parseRequest(modelRequest, request);
    return toModelHealthResponse(await this.queries.modelHealth(modelName));
  }

  async setMonitoringPolicy(request: monitorV1.SetMonitoringPolicyRequest): Promise<monitorV1.SetMonitoringPolicyResponse> {
    const policy = effectivePolicy(parsePolicy(request.policy));
    return toPolicyResponse(await this.policies.setPolicy(policy));
  }

  async getMonitoringPolicy(request: monitorV1.GetMonitoringPolicyRequest): Promise<monitorV1.GetMonitoringPolicyResponse> {
    const { modelName } = parseRequest(modelRequest, request);
    return toPolicyResponse(await this.policies.policyOf(modelName));
  }

  async listAlerts(request: monitorV1.ListAlertsRequest): Promise<monitorV1.ListAlertsResponse> {
    const filter = parseRequest(alertsRequest, request);
    return toListAlertsResponse(await this.queries.listAlerts(filter, request.page));
  }
}
