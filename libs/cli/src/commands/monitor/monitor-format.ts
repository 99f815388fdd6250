import { type commonV1, type monitorV1 } from '@flywheel/contracts';
import { type Contracts } from '../../grpc/service-connection';
import { type Cell, formatValue, table } from '../../output';

/**
 * The contracts' enums the output names values by. They are handed in rather than imported:
 * the contracts module pulls in gRPC, so it is loaded only once a command calls the monitor.
 */
export interface MonitorEnums {
  readonly DriftTest: Contracts['monitorV1']['DriftTest'];
  readonly HealthStatus: Contracts['monitorV1']['HealthStatus'];
  readonly AlertKind: Contracts['monitorV1']['AlertKind'];
  readonly ColumnType: Contracts['commonV1']['ColumnType'];
}

export const monitorEnums = ({ monitorV1, commonV1 }: Pick<Contracts, 'monitorV1' | 'commonV1'>): MonitorEnums => ({
  DriftTest: monitorV1.DriftTest,
  HealthStatus: monitorV1.HealthStatus,
  AlertKind: monitorV1.AlertKind,
  ColumnType: commonV1.ColumnType,
});

/** A value's enum name without its prefix, for people: `DRIFT_TEST_CHI_SQUARE` → `chi-square`. */
function label(names: Readonly<Record<number, string>>, value: number, prefix: string, separator = ' '): string {
  const name = names[value];
  return name === undefined ? String(value) : name.replace(prefix, '').toLowerCase().replace(/_/g, separator);
}

const testLabel = (enums: MonitorEnums, test: monitorV1.DriftTest) => label(enums.DriftTest, test, 'DRIFT_TEST_', '-');
const typeLabel = (enums: MonitorEnums, type: commonV1.ColumnType) => label(enums.ColumnType, type, 'COLUMN_TYPE_');
const kindLabel = (enums: MonitorEnums, kind: monitorV1.AlertKind) => label(enums.AlertKind, kind, 'ALERT_KIND_');

function time(value: Date | string | null | undefined): string {
  if (!value) return '-';
  return new Date(value).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const percent = (share: number) => `${formatValue(share * 100, 3)}%`;

/** A threshold is a policy's setting, so it reads as written there: 0.05, not 0.05000. */
const setting = (x: number) =>
  formatValue(x)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');

function windowText(window: commonV1.TimeRange | undefined): string {
  return window?.start || window?.end ? `${time(window.start)} to ${time(window.end)}` : '-';
}

/** The dataset verdict as the server gave it, with the share it judged and the policy's threshold. */
export function driftVerdict(report: monitorV1.DriftReport): string {
  const drifted = report.features.filter((f) => f.drifted).length;
  return (
    `${report.datasetDrift ? 'dataset drift' : 'no dataset drift'}: ${drifted} of ${report.features.length} features drifted ` +
    `(share ${percent(report.driftedShare)}, threshold ${percent(report.driftShareThreshold)})`
  );
}

/** One line naming what the report is about: model, version, window, reference, verdict. */
export function driftHeader(report: monitorV1.DriftReport): string {
  return `${report.modelName} v${report.modelVersion}, window ${windowText(report.window)}, reference ${report.reference?.key || '-'} — ${driftVerdict(report)}`;
}

function featureRow(enums: MonitorEnums, f: monitorV1.FeatureDrift, name: string): Cell[] {
  return [
    name,
    typeLabel(enums, f.type),
    testLabel(enums, f.test),
    formatValue(f.statistic),
    // Distance tests have no p-value; "-" says so rather than a misleading 0.
    f.pValue == null ? '-' : formatValue(f.pValue),
    setting(f.threshold),
    f.drifted ? 'yes' : 'no',
  ];
}

/**
 * A drift report for people: the header line, one row per feature in the report's order, then
 * the model's output (marked, since a feature may itself be called "prediction"), and the id to
 * ask for this report again.
 */
export function driftReportText(report: monitorV1.DriftReport, enums: MonitorEnums): string {
  const rows = report.features.map((f) => featureRow(enums, f, f.feature));
  if (report.prediction) rows.push(featureRow(enums, report.prediction, `${report.prediction.feature || 'prediction'} (output)`));
  return [
    driftHeader(report),
    '',
    table(['feature', 'type', 'test', 'statistic', 'p-value', 'threshold', 'drifted'], rows),
    '',
    `report ${report.reportId}, computed ${time(report.createTime)}`,
    '',
  ].join('\n');
}

/** Alerts newest first, as the monitor lists them; `state` is "open" until a healthy window resolves one. */
export function alertsTable(alerts: readonly monitorV1.Alert[], enums: MonitorEnums): string {
  return table(
    ['time', 'model', 'version', 'kind', 'summary', 'state'],
    alerts.map((a) => [
      time(a.raiseTime),
      a.modelName,
      a.modelVersion,
      kindLabel(enums, a.kind),
      a.message || '-',
      a.resolveTime ? `resolved ${time(a.resolveTime)}` : 'open',
    ]),
  );
}

function accuracyText(health: monitorV1.GetModelHealthResponse): string {
  if (health.accuracy == null)
    return health.referenceAccuracy == null ? '- (no labels yet)' : `- (no labels yet; reference ${formatValue(health.referenceAccuracy)})`;
  if (health.referenceAccuracy == null) return formatValue(health.accuracy);
  const change = health.accuracy - health.referenceAccuracy;
  return `${formatValue(health.accuracy)} (reference ${formatValue(health.referenceAccuracy)}, ${change >= 0 ? '+' : ''}${formatValue(change)})`;
}

function driftText(report: monitorV1.DriftReport | undefined): string {
  if (!report) return '- (no window judged yet)';
  return `${driftVerdict(report)}${report.prediction?.drifted ? '; prediction drifted' : ''}`;
}

/** GetModelHealth for people: the state of the watched version, then its open alerts. */
export function healthText(health: monitorV1.GetModelHealthResponse, enums: MonitorEnums): string {
  const report = health.latestReport;
  const fields = table(
    ['field', 'value'],
    [
      ['model', health.modelName],
      ['version', `v${health.modelVersion}`],
      ['status', label(enums.HealthStatus, health.status, 'HEALTH_STATUS_')],
      // Over the labelled predictions of the open window, against the version's holdout.
      ['accuracy', accuracyText(health)],
      ['drift', driftText(report)],
      ['open window', `${health.windowPredictions} predictions, ${health.windowLabelled} labelled`],
      ['last window', report ? `${windowText(report.window)} (report ${report.reportId})` : '-'],
      ['open alerts', health.openAlerts.length],
    ],
  );
  return health.openAlerts.length === 0 ? `${fields}\n` : `${fields}\n\n${alertsTable(health.openAlerts, enums)}\n`;
}

// JSON keeps every field but names enum values as proto3 JSON does ("DRIFT_TEST_KS"), so a
// script need not know the numbers.

const featureJson = (enums: MonitorEnums, f: monitorV1.FeatureDrift) => ({
  ...f,
  type: enums.ColumnType[f.type],
  test: enums.DriftTest[f.test],
});

export function driftReportJson(report: monitorV1.DriftReport, enums: MonitorEnums): unknown {
  return {
    ...report,
    features: report.features.map((f) => featureJson(enums, f)),
    prediction: report.prediction && featureJson(enums, report.prediction),
  };
}

export function alertJson(alert: monitorV1.Alert, enums: MonitorEnums): unknown {
  return { ...alert, kind: enums.AlertKind[alert.kind] };
}

export function healthJson(health: monitorV1.GetModelHealthResponse, enums: MonitorEnums): unknown {
  return {
    ...health,
    status: enums.HealthStatus[health.status],
    latestReport: health.latestReport && driftReportJson(health.latestReport, enums),
    openAlerts: health.openAlerts.map((a) => alertJson(a, enums)),
  };
}
