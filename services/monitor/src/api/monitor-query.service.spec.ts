import { randomUUID } from 'node:crypto';
import { commonV1, monitorV1 } from '@flywheel/contracts';
import { InvalidArgumentException } from '@flywheel/platform';
import { type AlertRepository } from '../alerts/alert.repository';
import { type MonitoringPolicyService } from '../policy/monitoring-policy.service';
import { type ReferenceRepository } from '../reference/reference.repository';
import { type ReportQuery, type WindowRepository } from '../windows/window.repository';
import { MonitorQueryService } from './monitor-query.service';
import { MonitorGrpcController } from './monitor.grpc-controller';

/** The drift report table in memory: what `listReports` reads, in its order and with its bounds. */
class InMemoryReports implements Pick<WindowRepository, 'listReports'> {
  readonly reports: monitorV1.DriftReport[] = [];
  readonly calls: Array<{ modelName: string; query: ReportQuery; limit: number }> = [];

  async listReports(modelName: string, query: ReportQuery, limit: number): Promise<monitorV1.DriftReport[]> {
    this.calls.push({ modelName, query, limit });
    const key = (r: monitorV1.DriftReport): [number, string] => [r.createTime!.getTime(), r.reportId];
    const before = (a: [number, string], b: [number, string]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
    return this.reports
      .filter((r) => r.modelName === modelName)
      .filter((r) => !query.start || r.createTime!.getTime() >= query.start.getTime())
      .filter((r) => !query.end || r.createTime!.getTime() < query.end.getTime())
      .filter((r) => !query.after || before(key(r), [Date.parse(query.after[0]), query.after[1]]))
      .sort((a, b) => (before(key(a), key(b)) ? 1 : before(key(b), key(a)) ? -1 : 0))
      .slice(0, limit);
  }
}

function report(modelName: string, createTime: string, reportId: string = randomUUID()): monitorV1.DriftReport {
  return monitorV1.DriftReport.fromPartial({
    reportId,
    modelName,
    modelVersion: 1,
    features: [
      {
        feature: 'amount',
        type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE,
        test: monitorV1.DriftTest.DRIFT_TEST_KS,
        statistic: 0.3,
        pValue: 0.01,
        threshold: 0.05,
        drifted: true,
      },
    ],
    currentProfile: { rowCount: 500, columns: [{ name: 'amount', count: 500 }] },
    createTime: new Date(createTime),
  });
}

describe('MonitorQueryService.listDriftReports', () => {
  let reports: InMemoryReports;
  let queries: MonitorQueryService;

  beforeEach(() => {
    reports = new InMemoryReports();
    queries = new MonitorQueryService(
      reports as unknown as WindowRepository,
      {} as ReferenceRepository, // not read by the list
      {} as AlertRepository,
    );
  });

  it('pages newest first without current profiles, resuming after the last report of each page', async () => {
    for (let hour = 10; hour < 15; hour++) reports.reports.push(report('fraud', `2026-01-01T${hour}:00:00Z`));
    reports.reports.push(report('other', '2026-01-01T16:00:00Z'));

    const first = await queries.listDriftReports('fraud', {}, { pageSize: 2 });
    expect(first.reports.map((r) => r.createTime!.toISOString())).toEqual(['2026-01-01T14:00:00.000Z', '2026-01-01T13:00:00.000Z']);
    expect(first.page.nextPageToken).not.toBe('');
    // One row more than the page, to know whether another page follows.
    expect(reports.calls[0]).toEqual({ modelName: 'fraud', query: { start: undefined, end: undefined, after: undefined }, limit: 3 });
    for (const r of first.reports) {
      expect(r.currentProfile).toBeUndefined();
      expect(r.features).toEqual([expect.objectContaining({ feature: 'amount', statistic: 0.3, pValue: 0.01, threshold: 0.05 })]);
    }

    const second = await queries.listDriftReports('fraud', {}, { pageSize: 2, pageToken: first.page.nextPageToken });
    expect(second.reports.map((r) => r.createTime!.toISOString())).toEqual(['2026-01-01T12:00:00.000Z', '2026-01-01T11:00:00.000Z']);
    const third = await queries.listDriftReports('fraud', {}, { pageSize: 2, pageToken: second.page.nextPageToken });
    expect(third.reports.map((r) => r.createTime!.toISOString())).toEqual(['2026-01-01T10:00:00.000Z']);
    expect(third.page.nextPageToken).toBe('');
    // The stored reports keep their profiles: only the list's copies are light.
    expect(reports.reports[0].currentProfile).toBeDefined();
  });

  it('breaks ties of create time by id, so no report is skipped or repeated across pages', async () => {
    const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'];
    for (const id of ids) reports.reports.push(report('fraud', '2026-01-01T10:00:00Z', id));
    const seen: string[] = [];
    let token = '';
    do {
      const listed = await queries.listDriftReports('fraud', {}, { pageSize: 1, pageToken: token });
      seen.push(...listed.reports.map((r) => r.reportId));
      token = listed.page.nextPageToken;
    } while (token !== '');
    expect(seen).toEqual([...ids].reverse());
  });

  it('passes the time range to the repository', async () => {
    const start = new Date('2026-01-01T11:00:00Z');
    const end = new Date('2026-01-01T13:00:00Z');
    for (let hour = 10; hour < 15; hour++) reports.reports.push(report('fraud', `2026-01-01T${hour}:00:00Z`));
    const listed = await queries.listDriftReports('fraud', { start, end }, undefined);
    expect(listed.reports.map((r) => r.createTime!.toISOString())).toEqual(['2026-01-01T12:00:00.000Z', '2026-01-01T11:00:00.000Z']);
    expect(reports.calls[0].query).toEqual({ start, end, after: undefined });
  });

  it('gives an empty list for a model without reports, as ListAlerts does', async () => {
    expect(await queries.listDriftReports('unknown', {}, undefined)).toEqual({ reports: [], page: { nextPageToken: '' } });
  });

  it('bounds the page size as every list does, and refuses a token it did not issue', async () => {
    await queries.listDriftReports('fraud', {}, { pageSize: 0 });
    await queries.listDriftReports('fraud', {}, { pageSize: 5000 });
    expect(reports.calls.map((c) => c.limit)).toEqual([51, 1001]);
    await expect(queries.listDriftReports('fraud', {}, { pageSize: -1 })).rejects.toThrow(
      'page.page_size: must be 0 (the default) or more',
    );
    const alien = Buffer.from(JSON.stringify({ after: 3 })).toString('base64url');
    await expect(queries.listDriftReports('fraud', {}, { pageToken: alien })).rejects.toThrow(
      'page.page_token: is not a token from a previous page of this list',
    );
    const notUuid = Buffer.from(JSON.stringify({ after: ['2026-01-01T10:00:00.000Z', "x' OR 1=1"] })).toString('base64url');
    await expect(queries.listDriftReports('fraud', {}, { pageToken: notUuid })).rejects.toBeInstanceOf(InvalidArgumentException);
  });
});

describe('MonitorGrpcController.listDriftReports', () => {
  const reports = new InMemoryReports();
  const controller = new MonitorGrpcController(
    new MonitorQueryService(reports as unknown as WindowRepository, {} as ReferenceRepository, {} as AlertRepository),
    {} as MonitoringPolicyService,
  );
  const request = (fields: Partial<monitorV1.ListDriftReportsRequest>) => monitorV1.ListDriftReportsRequest.fromPartial(fields);

  it('names the bad field: an empty or malformed model name, a range that ends before it starts', async () => {
    await expect(controller.listDriftReports(request({ modelName: '' }))).rejects.toThrow('modelName: must match [a-z][a-z0-9_-]{0,62}');
    await expect(controller.listDriftReports(request({ modelName: 'Bad Name' }))).rejects.toBeInstanceOf(InvalidArgumentException);
    await expect(
      controller.listDriftReports(
        request({
          modelName: 'fraud',
          createTimeRange: { start: new Date('2026-01-02T00:00:00Z'), end: new Date('2026-01-01T00:00:00Z') },
        }),
      ),
    ).rejects.toThrow('createTimeRange.end: must be after start');
  });

  it('takes a range open on either side', async () => {
    const start = new Date('2026-01-01T00:00:00Z');
    await controller.listDriftReports(request({ modelName: 'fraud', createTimeRange: { start, end: undefined } }));
    await controller.listDriftReports(request({ modelName: 'fraud' }));
    expect(reports.calls.map((c) => c.query)).toEqual([
      { start, end: undefined, after: undefined },
      { start: undefined, end: undefined, after: undefined },
    ]);
  });
});
