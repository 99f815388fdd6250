import { monitorV1 } from '@flywheel/contracts';
import { type PageResponseLike } from '@flywheel/platform';
import { type AlertEntity } from '../alerts/alert.entity';
import { toAlert } from '../alerts/alert.mapper';
import { type EffectivePolicy, toStoredPolicy } from '../policy/monitoring-policy';
import { type ModelHealth } from './monitor-query.service';

/** Domain results → the MonitorService's responses. */
export function toModelHealthResponse(health: ModelHealth): monitorV1.GetModelHealthResponse {
  return monitorV1.GetModelHealthResponse.fromPartial({
    modelName: health.modelName,
    modelVersion: health.modelVersion,
    status: health.status,
    windowPredictions: health.windowPredictions,
    windowLabelled: health.windowLabelled,
    accuracy: health.accuracy ?? undefined,
    referenceAccuracy: health.referenceAccuracy ?? undefined,
    latestReport: health.latestReport ?? undefined,
    openAlerts: health.openAlerts.map(toAlert),
  });
}

export function toListAlertsResponse(listed: { alerts: readonly AlertEntity[]; page: PageResponseLike }): monitorV1.ListAlertsResponse {
  return { alerts: listed.alerts.map(toAlert), page: listed.page };
}

/** A policy as the contract spells it, every default filled in. */
export function toPolicyResponse(policy: EffectivePolicy): monitorV1.GetMonitoringPolicyResponse {
  return { policy: toStoredPolicy(policy) };
}
