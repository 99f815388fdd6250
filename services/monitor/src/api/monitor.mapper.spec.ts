import { monitorV1 } from '@flywheel/contracts';
import { InvalidArgumentException, parseRequest } from '@flywheel/platform';
import { type AlertEntity } from '../alerts/alert.entity';
import { defaultPolicy } from '../policy/monitoring-policy';
import { toListAlertsResponse, toModelHealthResponse, toPolicyResponse } from './monitor.mapper';
import { alertsRequest, reportRequest } from './monitor.requests';

const openAlert: AlertEntity = {
  alertId: '2b7c1c52-1d0e-4a39-9d0c-5d1f0e6f1a10',
  modelName: 'fraud',
  modelVersion: 2,
  kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
  message: 'data drift',
  reportId: 'r1',
  eventId: 'e1',
  raiseTime: new Date('2025-03-01T11:00:00Z'),
  notifyTime: new Date('2025-03-01T11:00:00Z'),
  resolveTime: null,
  suppressed: 3,
};

describe('monitor mapper', () => {
  it('leaves unknown health figures unset and an open alert without resolve time', () => {
    const response = toModelHealthResponse({
      modelName: 'fraud',
      modelVersion: 2,
      status: monitorV1.HealthStatus.HEALTH_STATUS_UNKNOWN,
      windowPredictions: 10,
      windowLabelled: 0,
      accuracy: null,
      referenceAccuracy: null,
      latestReport: null,
      openAlerts: [openAlert],
    });
    expect(response).toMatchObject({ modelName: 'fraud', modelVersion: 2, windowPredictions: 10, windowLabelled: 0 });
    expect(response.accuracy).toBeUndefined();
    expect(response.referenceAccuracy).toBeUndefined();
    expect(response.latestReport).toBeUndefined();
    expect(response.openAlerts).toEqual([
      {
        alertId: openAlert.alertId,
        modelName: 'fraud',
        modelVersion: 2,
        kind: openAlert.kind,
        message: 'data drift',
        reportId: 'r1',
        eventId: 'e1',
        raiseTime: openAlert.raiseTime,
        resolveTime: undefined,
      },
    ]);
  });

  it('lists resolved alerts with their resolve time and passes the page on', () => {
    const resolveTime = new Date('2025-03-01T12:00:00Z');
    expect(toListAlertsResponse({ alerts: [{ ...openAlert, resolveTime }], page: { nextPageToken: 'next' } })).toEqual({
      alerts: [expect.objectContaining({ alertId: openAlert.alertId, resolveTime })],
      page: { nextPageToken: 'next' },
    });
  });

  it('answers a policy with every default spelled out', () => {
    expect(toPolicyResponse(defaultPolicy('fraud')).policy).toMatchObject({
      modelName: 'fraud',
      windowSize: 500,
      windowDuration: { seconds: 3600, nanos: 0 },
      minWindowSize: 100,
      driftShareThreshold: 0.5,
      maxAccuracyDrop: 0.05,
      minLabelled: 50,
    });
  });
});

describe('monitor request schemas', () => {
  it("turns the proto's empty filters into absent ones", () => {
    expect(parseRequest(alertsRequest, monitorV1.ListAlertsRequest.fromPartial({}))).toEqual({
      modelName: undefined,
      kind: undefined,
      openOnly: false,
    });
    expect(
      parseRequest(
        alertsRequest,
        monitorV1.ListAlertsRequest.fromPartial({ modelName: 'fraud', kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT, openOnly: true }),
      ),
    ).toEqual({
      modelName: 'fraud',
      kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
      openOnly: true,
    });
    expect(parseRequest(reportRequest, { modelName: 'fraud', reportId: '' })).toEqual({ modelName: 'fraud', reportId: undefined });
  });

  it('names every bad field', () => {
    let caught: unknown;
    try {
      parseRequest(alertsRequest, { modelName: 'Bad Name', kind: 99, openOnly: false });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentException);
    expect((caught as InvalidArgumentException).message).toBe(
      'modelName: must match [a-z][a-z0-9_-]{0,62} or be empty; kind: must be a known AlertKind',
    );
    expect(() => parseRequest(reportRequest, { modelName: 'fraud', reportId: 'nope' })).toThrow(
      'reportId: must be a report id (uuid) or empty',
    );
  });
});
