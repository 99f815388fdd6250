import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { status } from '@grpc/grpc-js';
import { commonV1, encodeEvent, FeedbackEvent, GrpcServices, monitorV1, Topics } from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { readRecords, startServiceInfrastructure, type ServiceInfrastructure, waitFor } from '@flywheel/testing';
import { DeadLetterHeaders } from '@flywheel/messaging';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { AlertRepository, type NewAlert } from './alerts/alert.repository';
import { startMonitorService } from './monitor.app';
import { type MonitorConfig } from './monitor.config';
import { ReferenceRepository } from './reference/reference.repository';
import { WindowRepository } from './windows/window.repository';

const FLYWHEEL_BIN = resolve(__dirname, '../../../libs/cli/bin/flywheel.js');

jest.setTimeout(120_000);

describe('monitor service (boot, health, auth, policy)', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<MonitorConfig>;
  const clients: Array<{ close(): void }> = [];

  const client = (token?: string): GrpcClient<monitorV1.MonitorServiceController> => {
    const c = createGrpcClient<monitorV1.MonitorServiceController>(GrpcServices.monitor, { address: service.grpcAddress, token });
    clients.push(c);
    return c;
  };

  /**
   * Runs the `flywheel` command as a user would, pointed at this service by MONITOR_GRPC_ADDRESS.
   * Asynchronously, unlike `runFlywheel`: a synchronous spawn would block this process, and with
   * it the in-process service the command is calling.
   */
  function flywheel(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = { ...process.env, FLYWHEEL_TOKEN: infra.tokens.reader, MONITOR_GRPC_ADDRESS: service.grpcAddress };
    return new Promise((done, fail) => {
      execFile(
        process.execPath,
        [FLYWHEEL_BIN, ...args],
        { cwd: resolve(__dirname, '../../..'), env, timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') fail(error);
          else done({ code: error ? (error.code as number) : 0, stdout, stderr });
        },
      );
    });
  }

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    // Labels wait one second for their prediction here, so an unmatched one is dropped within the test.
    service = await startMonitorService(await infra.serviceEnv('monitor', { MONITOR_LABEL_WAIT_MS: '1000' }), { handleSignals: false });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await service?.shutdown('test finished');
    await infra?.stop();
  });

  it('reports healthy database and Kafka on /healthz', async () => {
    const response = await fetch(`${service.httpUrl}/healthz`);
    const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(response.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.checks).toMatchObject({ database: { status: 'up' }, kafka: { status: 'up' }, grpc: { status: 'up' } });
  });

  it('drops a label for a request id no prediction carries, and counts it', async () => {
    const kafka = new Kafka({ clientId: 'monitor-test', brokers: [infra.broker.address], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const id = randomUUID();
      const feedback = encodeEvent(FeedbackEvent, {
        id,
        source: 'flywheel/test',
        time: new Date(),
        key: 'made-up-request',
        causationId: null,
        traceparent: null,
        data: monitorV1.Feedback.fromPartial({ requestId: 'made-up-request', label: { numberValue: 1 }, labelTime: new Date() }),
      });
      await producer.send({ topic: Topics.feedback, acks: -1, messages: [feedback] });
      const unmatched = async () => {
        const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
        return Number(/^flywheel_monitor_feedback_unmatched_total (\d+)$/m.exec(metrics)?.[1] ?? NaN);
      };
      await waitFor(async () => (await unmatched()) === 1, 30_000, 'the unmatched label to be dropped and counted');
      const left = await service.app
        .get(DataSource)
        .query(`SELECT count(*)::int AS n FROM prediction_index WHERE request_id = 'made-up-request'`);
      expect(left[0].n).toBe(0);

      // A producer without Flywheel code writes plain JSON, as raw data goes to ingest topics: read as the same event.
      await producer.send({ topic: Topics.feedback, acks: -1, messages: [{ value: '{"request_id": "made-up-plain", "label": true}' }] });
      await waitFor(async () => (await unmatched()) === 2, 30_000, 'the plain JSON label to be read, dropped and counted');
      // A wrong one is parked with its reason, not retried.
      await producer.send({ topic: Topics.feedback, acks: -1, messages: [{ value: '{"request_id": "r-1", "lable": true}' }] });
      const [parked] = await readRecords(kafka, Topics.dlqTopic(Topics.feedback), 1, 30_000);
      expect(parked!.headers[DeadLetterHeaders.error]).toBe('value: lable: unknown field; the fields are request_id, label, label_time');
      expect(parked!.value!.toString()).toBe('{"request_id": "r-1", "lable": true}');
    } finally {
      await producer.disconnect();
    }
  });

  it('refuses a call without a token and a write by a reader', async () => {
    await expect(client().getMonitoringPolicy({ modelName: 'fraud' })).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    const policy = monitorV1.MonitoringPolicy.fromPartial({ modelName: 'fraud' });
    await expect(client(infra.tokens.reader).setMonitoringPolicy({ policy })).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
  });

  it('returns the default policy, stores a new one with defaults filled in, and names a bad field', async () => {
    const reader = client(infra.tokens.reader);
    const writer = client(infra.tokens.writer);
    const defaults = await reader.getMonitoringPolicy({ modelName: 'fraud' });
    expect(defaults.policy).toMatchObject({
      modelName: 'fraud',
      windowSize: 500,
      minWindowSize: 100,
      driftShareThreshold: 0.5,
      maxAccuracyDrop: 0.05,
      minLabelled: 50,
    });
    expect(defaults.policy?.windowDuration).toMatchObject({ seconds: 3600 });

    const stored = await writer.setMonitoringPolicy({
      policy: monitorV1.MonitoringPolicy.fromPartial({
        modelName: 'fraud',
        windowSize: 200,
        featureTests: [{ feature: 'amount', test: monitorV1.DriftTest.DRIFT_TEST_PSI }],
      }),
    });
    expect(stored.policy).toMatchObject({
      windowSize: 200,
      minWindowSize: 100,
      featureTests: [{ feature: 'amount', test: monitorV1.DriftTest.DRIFT_TEST_PSI, threshold: 0.2 }],
    });
    expect((await reader.getMonitoringPolicy({ modelName: 'fraud' })).policy).toMatchObject({ windowSize: 200 });

    await expect(
      writer.setMonitoringPolicy({
        policy: monitorV1.MonitoringPolicy.fromPartial({ modelName: 'fraud', windowSize: 50, minWindowSize: 80 }),
      }),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: 'policy.minWindowSize: must not exceed windowSize' });
    await expect(reader.getModelHealth({ modelName: 'Bad Name' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'modelName: must match [a-z][a-z0-9_-]{0,62}',
    });
  });

  it('answers NOT_FOUND for a model it has never seen and an empty alert list', async () => {
    const reader = client(infra.tokens.reader);
    await expect(reader.getModelHealth({ modelName: 'unknown' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(reader.getDriftReport({ modelName: 'unknown', reportId: '' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(await reader.listAlerts(monitorV1.ListAlertsRequest.fromPartial({}))).toMatchObject({ alerts: [], page: { nextPageToken: '' } });
  });

  it('answers the flywheel command: health as a table, alerts as JSON, a report by version, a missing one in one line', async () => {
    // monitor-loop.integration-spec.ts fills these tables from events; here the service's own
    // repositories set up a watched version with one drifted window and its alert, which is all
    // the command needs. Run last: the test above expects no alerts at all.
    const model = 'cli-fraud';
    const report = monitorV1.DriftReport.fromPartial({
      reportId: randomUUID(),
      modelName: model,
      modelVersion: 2,
      window: { start: new Date('2025-03-01T10:00:00Z'), end: new Date('2025-03-01T11:00:00Z') },
      reference: { key: `training-sets/${model}/2/data.csv` },
      features: [
        {
          feature: 'amount',
          type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE,
          test: monitorV1.DriftTest.DRIFT_TEST_KS,
          statistic: 0.4,
          pValue: 1e-9,
          threshold: 0.05,
          drifted: true,
        },
        {
          feature: 'channel',
          type: commonV1.ColumnType.COLUMN_TYPE_STRING,
          test: monitorV1.DriftTest.DRIFT_TEST_JENSEN_SHANNON,
          statistic: 0.02,
          threshold: 0.1,
          drifted: false,
        },
      ],
      driftedShare: 0.5,
      driftShareThreshold: 0.5,
      datasetDrift: true,
      createTime: new Date('2025-03-01T11:00:01Z'),
    });
    const raised: NewAlert = {
      alertId: randomUUID(),
      modelName: model,
      modelVersion: 2,
      kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
      message: '1 of 2 features drifted (amount)',
      reportId: report.reportId,
      eventId: '',
      raiseTime: new Date('2025-03-01T11:00:01Z'),
    };
    const alert = monitorV1.Alert.fromPartial(raised);
    const manager = service.app.get(DataSource).manager;
    await service.app
      .get(ReferenceRepository)
      .saveDeployment(manager, { deployment: model, modelName: model, stableVersion: 2, canaryVersion: 0, time: new Date() });
    await service.app.get(WindowRepository).saveReport(manager, randomUUID(), report);
    await service.app.get(AlertRepository).raise(manager, raised);

    const health = await flywheel(['health', model]);
    expect(health).toMatchObject({ code: 0, stderr: '' });
    expect(health.stdout).toMatch(/^version\s+v2$/m);
    expect(health.stdout).toMatch(/^status\s+drifting$/m);
    expect(health.stdout).toMatch(/^drift\s+dataset drift: 1 of 2 features drifted \(share 50%, threshold 50%\)$/m);
    expect(health.stdout).toMatch(/^open alerts\s+1$/m);
    expect(health.stdout).toMatch(/^2025-03-01T11:00:01Z\s+cli-fraud\s+2\s+data drift\s+1 of 2 features drifted \(amount\)\s+open$/m);

    const alerts = await flywheel(['alerts', '--model', model, '--open', '--json']);
    expect(alerts).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(alerts.stdout)).toEqual([{ ...alert, kind: 'ALERT_KIND_DATA_DRIFT', raiseTime: '2025-03-01T11:00:01.000Z' }]);
    // An open alert has no resolve time: the field is absent, as the contract's optional field says.
    expect(JSON.parse(alerts.stdout)[0]).not.toHaveProperty('resolveTime');

    const drift = await flywheel(['drift', model, '--version', '2']);
    expect(drift).toMatchObject({ code: 0, stderr: '' });
    expect(drift.stdout.split('\n')[0]).toBe(
      `${model} v2, window 2025-03-01T10:00:00Z to 2025-03-01T11:00:00Z, reference training-sets/${model}/2/data.csv — dataset drift: 1 of 2 features drifted (share 50%, threshold 50%)`,
    );
    expect(drift.stdout).toMatch(/^channel\s+string\s+jensen-shannon\s+0\.02000\s+-\s+0\.1\s+no$/m);

    expect(await flywheel(['drift', model, '--version', '1'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `flywheel: drift: no latest report of ${model} v1: the latest is of v2, the watched version is v2; name an older report with --report <id>\n`,
    });
    expect(await flywheel(['drift', 'unknown'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'flywheel: drift: not found: model "unknown" has no drift report yet\n',
    });
  });
  it('lists a model’s drift reports newest first, a page at a time, without their profiles, through the index', async () => {
    const model = 'history-fraud';
    const windows = service.app.get(WindowRepository);
    const manager = service.app.get(DataSource).manager;
    const at = (hour: number) => new Date(Date.UTC(2025, 2, 3, hour));
    // Five reports an hour apart, and two more sharing the last hour: ties are broken by id.
    const stored = [10, 11, 12, 13, 14, 14, 14].map((hour, i) =>
      monitorV1.DriftReport.fromPartial({
        reportId: `00000000-0000-4000-8000-00000000000${i}`,
        modelName: model,
        modelVersion: 1,
        features: [
          {
            feature: 'amount',
            type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE,
            test: monitorV1.DriftTest.DRIFT_TEST_KS,
            statistic: i / 10,
            pValue: 0.5 - i / 20,
            threshold: 0.05,
            drifted: false,
          },
        ],
        currentProfile: {
          rowCount: 500,
          columns: [{ name: 'amount', count: 500, numeric: { histogramEdges: [0, 1, 2], histogramCounts: [200, 300] } }],
        },
        createTime: at(hour),
      }),
    );
    for (const report of stored) await windows.saveReport(manager, randomUUID(), report);
    await windows.saveReport(manager, randomUUID(), { ...stored[0], reportId: randomUUID(), modelName: 'history-other' });
    const expected = [6, 5, 4, 3, 2, 1, 0].map((i) => stored[i].reportId);

    const reader = client(infra.tokens.reader);
    const listed: monitorV1.DriftReport[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await reader.listDriftReports(
        monitorV1.ListDriftReportsRequest.fromPartial({ modelName: model, page: { pageSize: 3, pageToken } }),
      );
      listed.push(...page.reports);
      pageToken = page.page!.nextPageToken;
      pages++;
    } while (pageToken !== '');
    expect(pages).toBe(3);
    expect(listed.map((r) => r.reportId)).toEqual(expected);
    expect(listed.map((r) => new Date(r.createTime!).toISOString())).toEqual([14, 14, 14, 13, 12, 11, 10].map((h) => at(h).toISOString()));
    for (const r of listed) {
      expect(r.currentProfile ?? null).toBeNull();
      expect(r.features).toEqual([expect.objectContaining({ feature: 'amount', threshold: 0.05 })]);
    }
    // GetDriftReport still gives the whole report, profile and all.
    expect((await reader.getDriftReport({ modelName: model, reportId: stored[0].reportId })).report!.currentProfile).toMatchObject({
      rowCount: 500,
    });

    const ranged = await reader.listDriftReports(
      monitorV1.ListDriftReportsRequest.fromPartial({ modelName: model, createTimeRange: { start: at(11), end: at(13) } }),
    );
    expect(ranged.reports.map((r) => r.reportId)).toEqual([stored[2].reportId, stored[1].reportId]);
    expect(ranged.page).toEqual({ nextPageToken: '' });

    expect(await reader.listDriftReports(monitorV1.ListDriftReportsRequest.fromPartial({ modelName: 'unknown' }))).toMatchObject({
      reports: [],
      page: { nextPageToken: '' },
    });
    await expect(reader.listDriftReports(monitorV1.ListDriftReportsRequest.fromPartial({ modelName: '' }))).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'modelName: must match [a-z][a-z0-9_-]{0,62}',
    });
    await expect(
      reader.listDriftReports(monitorV1.ListDriftReportsRequest.fromPartial({ modelName: model, page: { pageSize: -1 } })),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: 'page.page_size: must be 0 (the default) or more' });
    await expect(client().listDriftReports(monitorV1.ListDriftReportsRequest.fromPartial({ modelName: model }))).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });

    // The page query (a later page's, the costliest) walks drift_reports_model in order: no full sort.
    const plan = await service.app.get(DataSource).transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const rows: Array<{ 'QUERY PLAN': string }> = await tx.query(
        `EXPLAIN SELECT report_id, report FROM drift_reports
         WHERE model_name = $1 AND create_time <= $2 AND (create_time < $2 OR report_id < $3)
         ORDER BY create_time DESC, report_id DESC LIMIT 201`,
        [model, at(13), stored[3].reportId],
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toMatch(/Index Scan using drift_reports_model on drift_reports/);
    expect(plan).not.toMatch(/(^|->\s+)Sort\b/m);
  });

  it('keeps the alert bookkeeping: one open alert per version and kind, re-notified, suppressed, then resolved', async () => {
    const alerts = service.app.get(AlertRepository);
    const dataSource = service.app.get(DataSource);
    const model = 'bookkeeping-fraud';
    const kind = monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT;
    const raiseTime = new Date('2025-03-02T10:00:00Z');
    const alertId = randomUUID();
    await dataSource.transaction((manager) =>
      alerts.raise(manager, {
        alertId,
        modelName: model,
        modelVersion: 1,
        kind,
        message: 'first',
        reportId: 'r1',
        eventId: 'e1',
        raiseTime,
      }),
    );
    expect(await dataSource.transaction((manager) => alerts.findOpen(manager, model, 1, kind))).toEqual({ alertId, notifyTime: raiseTime });
    expect(
      await dataSource.transaction((manager) => alerts.findOpen(manager, model, 1, monitorV1.AlertKind.ALERT_KIND_PREDICTION_DRIFT)),
    ).toBeNull();

    const renotifyTime = new Date('2025-03-02T12:00:00Z');
    await dataSource.transaction(async (manager) => {
      await alerts.renotify(manager, alertId, { message: 'again', reportId: 'r2', eventId: 'e2', time: renotifyTime });
      await alerts.suppress(manager, alertId);
      await alerts.suppress(manager, alertId);
    });
    expect(await dataSource.transaction((manager) => alerts.findOpen(manager, model, 1, kind))).toEqual({
      alertId,
      notifyTime: renotifyTime,
    });
    const [row] = await dataSource.query(`SELECT message, report_id, event_id, raise_time, suppressed FROM alerts WHERE alert_id = $1`, [
      alertId,
    ]);
    expect(row).toEqual({ message: 'again', report_id: 'r2', event_id: 'e2', raise_time: raiseTime, suppressed: 2 });

    const resolveTime = new Date('2025-03-02T13:00:00Z');
    await dataSource.transaction((manager) => alerts.resolve(manager, model, 1, kind, resolveTime));
    expect(await dataSource.transaction((manager) => alerts.findOpen(manager, model, 1, kind))).toBeNull();
    expect(await alerts.list({ modelName: model, openOnly: true }, 0, 10)).toEqual([]);
    expect(await alerts.list({ modelName: model, kind }, 0, 10)).toEqual([
      expect.objectContaining({ alertId, message: 'again', resolveTime }),
    ]);
  });
});
