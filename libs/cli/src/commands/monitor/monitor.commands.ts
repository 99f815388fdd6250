import { type Command } from '../../command';
import { UsageError } from '../../errors';
import { toJson } from '../../output';
import { MONITOR_CONNECTION_DETAILS, monitorConnectionOptions, withMonitor } from './monitor-connection';
import { alertJson, alertsTable, driftReportJson, driftReportText, healthJson, healthText, monitorEnums } from './monitor-format';

/** gRPC NOT_FOUND: the model is not monitored (yet), which for the version look-up means "no such report". */
const NOT_FOUND = 5;

export const driftCommand: Command = {
  kind: 'command',
  name: 'drift',
  summary: 'Show the latest drift report of a model (or one by id): the dataset verdict and every feature’s test.',
  usage: '[--version <n>] [--report <id>] [--address <host:port>] [--json]',
  positionals: [{ name: 'model', required: true, description: 'the model' }],
  options: {
    version: { type: 'string', value: 'n', description: 'the model version the report must be of' },
    report: { type: 'string', value: 'id', description: 'a report by id (from an alert, or an earlier report) instead of the latest' },
    ...monitorConnectionOptions,
  },
  details:
    'The monitor serves the latest report of a model, the latest of the version it watches (the ' +
    'deployment’s stable one), and any report by id; --version picks whichever of the first two is of ' +
    `that version, and otherwise asks for --report. ${MONITOR_CONNECTION_DETAILS}`,
  async run(options, io) {
    const modelName = options.positional('model');
    const version = options.number('version', { integer: true, min: 1 });
    const reportId = options.string('report') ?? '';
    const { report, enums } = await withMonitor(options, async (client, contracts) => {
      const enums = monitorEnums(contracts);
      const found = (await client.getDriftReport({ modelName, reportId })).report;
      if (!found) throw new Error('GetDriftReport answered without a report');
      if (version === undefined || found.modelVersion === version) return { report: found, enums };
      if (reportId) throw new UsageError(`report ${reportId} is of ${modelName} v${found.modelVersion}, not v${version}`);
      // GetDriftReport has no version filter; while a canary serves a newer version, the
      // watched (stable) version's latest report is still reachable through its health.
      const health = await client.getModelHealth({ modelName }).catch((error: { code?: unknown }) => {
        if (error?.code === NOT_FOUND) return undefined;
        throw error;
      });
      if (health?.modelVersion === version && health.latestReport) return { report: health.latestReport, enums };
      throw new UsageError(
        `no latest report of ${modelName} v${version}: the latest is of v${found.modelVersion}` +
          `${health ? `, the watched version is v${health.modelVersion}` : ''}; name an older report with --report <id>`,
      );
    });
    io.stdout(options.flag('json') ? toJson(driftReportJson(report, enums)) : driftReportText(report, enums));
  },
};

export const healthCommand: Command = {
  kind: 'command',
  name: 'health',
  summary: 'Show the health of a model: status, live accuracy against the holdout, drift, the open window and open alerts.',
  usage: '[--address <host:port>] [--json]',
  positionals: [{ name: 'model', required: true, description: 'the model' }],
  options: monitorConnectionOptions,
  details: `Describes the version the monitor watches (the deployment’s stable one). ${MONITOR_CONNECTION_DETAILS}`,
  async run(options, io) {
    const modelName = options.positional('model');
    const { health, enums } = await withMonitor(options, async (client, contracts) => ({
      health: await client.getModelHealth({ modelName }),
      enums: monitorEnums(contracts),
    }));
    io.stdout(options.flag('json') ? toJson(healthJson(health, enums)) : healthText(health, enums));
  },
};

export const alertsCommand: Command = {
  kind: 'command',
  name: 'alerts',
  summary: 'List the monitor’s alerts, newest first: drift and degraded performance.',
  usage: '[--model <name>] [--open] [--limit <n>] [--address <host:port>] [--json]',
  options: {
    model: { type: 'string', value: 'name', description: 'only alerts about this model' },
    open: { type: 'boolean', description: 'only alerts not yet resolved by a healthy window' },
    limit: { type: 'string', value: 'n', description: 'at most n rows (default 50)' },
    ...monitorConnectionOptions,
  },
  details: MONITOR_CONNECTION_DETAILS,
  async run(options, io) {
    const pageSize = options.number('limit', { integer: true, min: 1, max: 1000 }) ?? 50;
    const { alerts, enums } = await withMonitor(options, async (client, contracts) => ({
      alerts: (
        await client.listAlerts({
          modelName: options.string('model') ?? '',
          kind: contracts.monitorV1.AlertKind.ALERT_KIND_UNSPECIFIED,
          openOnly: options.flag('open'),
          page: { pageSize, pageToken: '' },
        })
      ).alerts,
      enums: monitorEnums(contracts),
    }));
    io.stdout(options.flag('json') ? toJson(alerts.map((a) => alertJson(a, enums))) : `${alertsTable(alerts, enums)}\n`);
  },
};
