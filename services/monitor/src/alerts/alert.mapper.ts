import { monitorV1 } from '@flywheel/contracts';
import { type AlertEntity } from './alert.entity';

/** An alert on the wire: an open one has no resolve time. */
export function toAlert(alert: AlertEntity): monitorV1.Alert {
  return monitorV1.Alert.fromPartial({
    alertId: alert.alertId,
    modelName: alert.modelName,
    modelVersion: alert.modelVersion,
    kind: alert.kind,
    message: alert.message,
    reportId: alert.reportId,
    eventId: alert.eventId,
    raiseTime: alert.raiseTime,
    resolveTime: alert.resolveTime ?? undefined,
  });
}
