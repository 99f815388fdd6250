import { Controller, Inject } from '@nestjs/common';
import { monitorV1 } from '@flywheel/contracts';
import { parseRequest } from '@flywheel/platform';
import { z } from 'zod';
import { defaultPolicy, modelNameSchema, parsePolicy, toStoredPolicy } from '../policy/monitoring-policy';
import { PolicyRepository } from '../policy/policy.repository';
import { MonitorQueryService } from './monitor-query.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const modelRequest = z.object({ modelName: modelNameSchema });
const reportRequest = z.object({ modelName: modelNameSchema, reportId: z.string().refine((id) => id === '' || UUID.test(id), 'must be a report id (uuid) or empty') });
const alertsRequest = z.object({
  modelName: z.string().refine((name) => name === '' || modelNameSchema.safeParse(name).success, 'must match [a-z][a-z0-9_-]{0,62} or be empty'),
  kind: z.number().refine((kind) => kind in monitorV1.AlertKind && kind >= 0, 'must be a known AlertKind'),
});

@Controller()
@monitorV1.MonitorServiceControllerMethods()
export class MonitorGrpcController implements monitorV1.MonitorServiceController {
  constructor(
    @Inject(MonitorQueryService) private readonly queries: MonitorQueryService,
    @Inject(PolicyRepository) private readonly policies: PolicyRepository,
  ) {}

  async getDriftReport(request: monitorV1.GetDriftReportRequest): Promise<monitorV1.GetDriftReportResponse> {
    const { modelName, reportId } = parseRequest(reportRequest, request);
    return { report: await this.queries.driftReport(modelName, reportId) };
  }

  async getModelHealth(request: monitorV1.GetModelHealthRequest): Promise<monitorV1.GetModelHealthResponse> {
    const { modelName } = parseRequest(modelRequest, request);
    return this.queries.modelHealth(modelName);
  }

  async setMonitoringPolicy(request: monitorV1.SetMonitoringPolicyRequest): Promise<monitorV1.SetMonitoringPolicyResponse> {
    const policy = parsePolicy(request.policy);
    await this.policies.save(policy);
    return { policy };
  }

  async getMonitoringPolicy(request: monitorV1.GetMonitoringPolicyRequest): Promise<monitorV1.GetMonitoringPolicyResponse> {
    const { modelName } = parseRequest(modelRequest, request);
    return { policy: (await this.policies.find(modelName)) ?? toStoredPolicy(defaultPolicy(modelName)) };
  }

  async listAlerts(request: monitorV1.ListAlertsRequest): Promise<monitorV1.ListAlertsResponse> {
    parseRequest(alertsRequest, request);
    return this.queries.listAlerts(request);
  }
}
