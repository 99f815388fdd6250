import { status as GrpcStatus } from '@grpc/grpc-js';
import { type monitorV1 } from '@flywheel/contracts';
import { type MonitorCalls } from '../../backend';
import { errorView } from '../../views/layout';
import { grpcCode, ok, PAGE, type PageRoute, readPart } from '../page';
import { modelIndexView } from '../models/models.view';
import { type MonitoringData, monitoringView } from './monitoring.view';

/** The reports the history charts draw: the newest page of ListDriftReports. */
export const HISTORY_REPORTS = 200;
/** The open alerts listed. */
const OPEN_ALERTS = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The report the page details, whole (with its current profile): the one asked for by id, or the
 * latest; undefined when the model has no report yet. A report asked for and not found is the
 * page's NOT_FOUND.
 */
async function detailedReport(monitor: MonitorCalls, modelName: string, reportId: string): Promise<monitorV1.DriftReport | undefined> {
  try {
    return (await monitor.getDriftReport({ modelName, reportId })).report ?? undefined;
  } catch (error) {
    if (grpcCode(error) === GrpcStatus.NOT_FOUND && reportId === '') return undefined;
    throw error;
  }
}

export const MONITORING_PAGES: readonly PageRoute[] = [
  {
    pattern: /^\/monitoring$/,
    title: 'Monitoring',
    render: async ({ backend, token, viewer }) =>
      ok(
        modelIndexView(
          { title: 'Monitoring', path: '/monitoring', intro: 'Drift, health and alerts of each model the registry holds.' },
          (await backend.registry(token).listModels({ page: PAGE })).models,
          viewer,
        ),
      ),
  },
  {
    pattern: /^\/monitoring\/([^/]+)$/,
    title: 'Monitoring',
    async render({ backend, token, viewer, query }, [name]) {
      const monitor = backend.monitor(token);
      // `?report=<id>` details that report instead of the latest (the alerts link to theirs).
      const asked = query.get('report') ?? '';
      if (asked !== '' && !UUID.test(asked)) return { status: 400, body: errorView('Monitoring', 'That report id is not valid.', viewer) };
      // The detailed report is the page's own read (a refusal of it is the page's); the rest are parts.
      const [report, health, history, alerts] = await Promise.all([
        detailedReport(monitor, name, asked),
        readPart(() => monitor.getModelHealth({ modelName: name })),
        readPart(() =>
          monitor
            .listDriftReports({ modelName: name, createTimeRange: undefined, page: { pageSize: HISTORY_REPORTS, pageToken: '' } })
            .then((listed) => listed.reports ?? []),
        ),
        readPart(() =>
          monitor
            .listAlerts({ modelName: name, kind: 0, openOnly: true, page: { pageSize: OPEN_ALERTS, pageToken: '' } })
            .then((listed) => listed.alerts ?? []),
        ),
      ]);
      // The drift reference: the training profile of the version the report watched.
      const reference = report
        ? await readPart(() =>
            backend
              .registry(token)
              .getModelVersion({ modelName: name, version: report.modelVersion })
              .then((got) => got.version?.lineage?.trainingProfile ?? undefined),
          )
        : undefined;
      const data: MonitoringData = { report, latest: asked === '', health, history, alerts, reference };
      return ok(monitoringView(name, data, viewer));
    },
  },
];
