import * as contracts from '@flywheel/contracts';
import { toJson } from '../../output';
import { alertsTable, driftReportJson, driftReportText, healthText, monitorEnums } from './monitor-format';

const { monitorV1, commonV1 } = contracts;
const { DriftTest } = monitorV1;
const { ColumnType } = commonV1;
const enums = monitorEnums(contracts);

const report = monitorV1.DriftReport.fromPartial({
  reportId: '0b6c8a9e-4f3d-4e21-9a57-1c2d3e4f5a6b',
  modelName: 'claims-fraud',
  modelVersion: 3,
  window: { start: new Date('2025-03-01T10:00:00.000Z'), end: new Date('2025-03-01T11:00:00.000Z') },
  reference: { key: 'training-sets/claims-fraud/3/data.csv' },
  features: [
    {
      feature: 'amount',
      type: ColumnType.COLUMN_TYPE_DOUBLE,
      test: DriftTest.DRIFT_TEST_KS,
      statistic: 0.41237,
      pValue: 2.5e-12,
      threshold: 0.05,
      drifted: true,
    },
    {
      feature: 'channel',
      type: ColumnType.COLUMN_TYPE_STRING,
      test: DriftTest.DRIFT_TEST_CHI_SQUARE,
      statistic: Infinity,
      pValue: 0,
      threshold: 0.05,
      drifted: true,
    },
    {
      feature: 'tenure',
      type: ColumnType.COLUMN_TYPE_INTEGER,
      test: DriftTest.DRIFT_TEST_WASSERSTEIN,
      statistic: 0.031,
      threshold: 0.1,
      drifted: false,
    },
  ],
  prediction: {
    feature: 'prediction',
    type: ColumnType.COLUMN_TYPE_DOUBLE,
    test: DriftTest.DRIFT_TEST_JENSEN_SHANNON,
    statistic: 0.2,
    threshold: 0.1,
    drifted: true,
  },
  driftedShare: 2 / 3,
  driftShareThreshold: 0.5,
  datasetDrift: true,
  createTime: new Date('2025-03-01T11:00:02.345Z'),
});

describe('monitor output', () => {
  it('writes a drift report as a header line, a row per feature, the output last, and the report id', () => {
    expect(driftReportText(report, enums).split('\n')).toEqual([
      'claims-fraud v3, window 2025-03-01T10:00:00Z to 2025-03-01T11:00:00Z, reference training-sets/claims-fraud/3/data.csv' +
        ' — dataset drift: 2 of 3 features drifted (share 66.7%, threshold 50%)',
      '',
      'feature              type     test            statistic    p-value  threshold  drifted',
      '-------------------  -------  --------------  ---------  ---------  ---------  -------',
      'amount               double   ks                 0.4124  2.500e-12       0.05  yes',
      'channel              string   chi-square            inf          0       0.05  yes',
      'tenure               integer  wasserstein       0.03100          -        0.1  no',
      'prediction (output)  double   jensen-shannon     0.2000          -        0.1  yes',
      '',
      'report 0b6c8a9e-4f3d-4e21-9a57-1c2d3e4f5a6b, computed 2025-03-01T11:00:02Z',
      '',
    ]);
  });

  it('leaves out the output row when the report has none and says when nothing drifted', () => {
    const calm = monitorV1.DriftReport.fromPartial({
      ...report,
      prediction: undefined,
      datasetDrift: false,
      driftedShare: 0,
      features: [report.features[2]],
    });
    const lines = driftReportText(calm, enums).split('\n');
    expect(lines[0]).toMatch(/ — no dataset drift: 0 of 1 features drifted \(share 0%, threshold 50%\)$/);
    expect(lines.filter((l) => l.startsWith('prediction'))).toEqual([]);
  });

  it('names enum values in JSON, writes an infinite statistic as "Infinity" and leaves out a missing p-value', () => {
    const json = JSON.parse(toJson(driftReportJson(report, enums)));
    expect(json.features[1]).toMatchObject({
      feature: 'channel',
      type: 'COLUMN_TYPE_STRING',
      test: 'DRIFT_TEST_CHI_SQUARE',
      statistic: 'Infinity',
    });
    expect(json.prediction).toMatchObject({ test: 'DRIFT_TEST_JENSEN_SHANNON', drifted: true });
    expect(json.features[2]).not.toHaveProperty('pValue');
  });

  it('writes health with accuracy against the reference and the open alerts under it', () => {
    const alert = monitorV1.Alert.fromPartial({
      modelName: 'claims-fraud',
      modelVersion: 3,
      kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
      message: '2 of 3 features drifted',
      raiseTime: new Date('2025-03-01T11:00:02Z'),
    });
    const text = healthText(
      monitorV1.GetModelHealthResponse.fromPartial({
        modelName: 'claims-fraud',
        modelVersion: 3,
        status: monitorV1.HealthStatus.HEALTH_STATUS_DRIFTING,
        windowPredictions: 120,
        windowLabelled: 40,
        accuracy: 0.8,
        referenceAccuracy: 0.875,
        latestReport: report,
        openAlerts: [alert],
      }),
      enums,
    );
    expect(text).toContain('status       drifting\n');
    expect(text).toContain('accuracy     0.8000 (reference 0.8750, -0.07500)\n');
    expect(text).toContain('drift        dataset drift: 2 of 3 features drifted (share 66.7%, threshold 50%); prediction drifted\n');
    expect(text).toContain('open window  120 predictions, 40 labelled\n');
    expect(text).toContain('last window  2025-03-01T10:00:00Z to 2025-03-01T11:00:00Z (report 0b6c8a9e-4f3d-4e21-9a57-1c2d3e4f5a6b)\n');
    expect(text.endsWith(`\n\n${alertsTable([alert], enums)}\n`)).toBe(true);
  });

  it('lists alerts with their state', () => {
    const alerts = [
      monitorV1.Alert.fromPartial({
        modelName: 'claims-fraud',
        modelVersion: 3,
        kind: monitorV1.AlertKind.ALERT_KIND_PERFORMANCE_DEGRADED,
        message: 'accuracy 0.71 < 0.82',
        raiseTime: new Date('2025-03-02T00:00:00Z'),
      }),
      monitorV1.Alert.fromPartial({
        modelName: 'claims-fraud',
        modelVersion: 2,
        kind: monitorV1.AlertKind.ALERT_KIND_PREDICTION_DRIFT,
        message: 'prediction drifted',
        raiseTime: new Date('2025-03-01T00:00:00Z'),
        resolveTime: new Date('2025-03-01T06:00:00Z'),
      }),
    ];
    expect(alertsTable(alerts, enums).split('\n').slice(2)).toEqual([
      '2025-03-02T00:00:00Z  claims-fraud        3  performance degraded  accuracy 0.71 < 0.82  open',
      '2025-03-01T00:00:00Z  claims-fraud        2  prediction drift      prediction drifted    resolved 2025-03-01T06:00:00Z',
    ]);
  });
});
