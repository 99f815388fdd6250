import { status } from '@grpc/grpc-js';
import {
  type DeployerCalls,
  type FeatureStoreCalls,
  type IngestionCalls,
  type MonitorCalls,
  type RegistryCalls,
  type TrainerCalls,
} from '../../backend';
import { ConsoleTestKit, fakeCalls, grpcError, type SignedIn } from '../../testing/console-test-kit';
import * as fx from './loop-story.fixture';

const TOKEN = 'fw_loop_reader';

/** Services whose every call fails this test, by name (`trainer`, `deployer`, …), with the error to raise. */
const failing = new Map<string, Error>();
const calls: string[] = [];

function answer<T>(service: string, method: string, value: T): Promise<T> {
  calls.push(`${service}.${method}`);
  const error = failing.get(service);
  return error ? Promise.reject(error) : Promise.resolve(value);
}

const registry = (token: string): RegistryCalls =>
  fakeCalls<RegistryCalls>('registry', {
    async listModels() {
      if (token !== TOKEN) throw grpcError(status.UNAUTHENTICATED, 'unknown API token');
      return { models: [fx.model, { ...fx.model, name: fx.HOSTILE, aliases: {}, latestVersion: 0 }], page: undefined };
    },
    async getModel({ name }) {
      if (name !== 'fraud') throw grpcError(status.NOT_FOUND, `model "${name}" not found`);
      return answer('registry', 'getModel', { model: fx.model });
    },
    listModelVersions: () => answer('registry', 'listModelVersions', { versions: fx.modelVersions, page: undefined }),
    listAuditLog: () => answer('registry', 'listAuditLog', { entries: fx.auditLog, page: undefined }),
  });

const trainer = (): TrainerCalls =>
  fakeCalls<TrainerCalls>('trainer', {
    listRuns: () => answer('trainer', 'listRuns', { runs: fx.runs, page: undefined }),
    listRetrainingDecisions: () => answer('trainer', 'listRetrainingDecisions', { decisions: fx.decisions, page: undefined }),
  });

const ingestion = (): IngestionCalls =>
  fakeCalls<IngestionCalls>('ingestion', {
    listVersions: ({ dataset }) => answer('ingestion', `listVersions ${dataset}`, { versions: fx.datasetVersions, page: undefined }),
    getDataset: ({ name }) => answer('ingestion', `getDataset ${name}`, { dataset: fx.dataset }),
  });

const featureStore = (): FeatureStoreCalls =>
  fakeCalls<FeatureStoreCalls>('featureStore', {
    getFeatureView: ({ name }) => answer('featureStore', `getFeatureView ${name}`, { featureView: fx.featureView }),
  });

const deployer = (): DeployerCalls =>
  fakeCalls<DeployerCalls>('deployer', {
    listDeployments: () => answer('deployer', 'listDeployments', { deployments: fx.deployments, page: undefined }),
    listDeploymentChanges: (request) => {
      expect(request).toEqual({ deployment: '', modelName: 'fraud', page: { pageSize: 200, pageToken: '' } });
      return answer('deployer', 'listDeploymentChanges', { changes: fx.deploymentChanges, page: undefined });
    },
  });

const monitor = (): MonitorCalls =>
  fakeCalls<MonitorCalls>('monitor', {
    getModelHealth: () => answer('monitor', 'getModelHealth', fx.health),
    listAlerts: () => answer('monitor', 'listAlerts', { alerts: fx.alerts, page: undefined }),
    listDriftReports: () => answer('monitor', 'listDriftReports', { reports: [fx.calmReport, fx.driftReport], page: undefined }),
  });

/** The picture's box of a stage (its `<g>`). */
const box = (page: string, stage: string) => new RegExp(`<g class="stage" data-stage="${stage}">[\\s\\S]*?</g>`).exec(page)?.[0] ?? '';
/** A timeline row by id. */
const row = (page: string, id: string) => new RegExp(`<tr id="${id}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';

describe('the Loop section', () => {
  let kit: ConsoleTestKit;
  let reader: SignedIn;

  beforeAll(async () => {
    kit = await ConsoleTestKit.start({ registry, trainer, ingestion, featureStore, deployer, monitor });
    reader = await kit.signIn(TOKEN);
  });
  afterAll(() => kit.close());
  beforeEach(() => {
    failing.clear();
    calls.splice(0);
  });

  it('lists the models, each with a link to its loop, escaping their names', async () => {
    const page = await (await reader.get('/loop')).text();
    expect(page).toContain('<a href="/loop/fraud">fraud</a>');
    expect(page).toContain('production → v2');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('href="/loop/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"');
  });

  it('draws the six stages, each with its latest event and time, and the drift → retraining edge closing the loop', async () => {
    const res = await reader.get('/loop/fraud');
    expect(res.status).toBe(200);
    const page = await res.text();
    const svg = /<figure id="loop-picture">(<svg[\s\S]*?<\/svg>)<\/figure>/.exec(page)?.[1];
    expect(svg).toBeDefined();
    const expected: Array<[string, string[]]> = [
      ['data in', ['DATA IN', 'claims', 'v5 committed: 500 rows, 2 quarantined', '2026-03-01 00:35:00Z']],
      ['features', ['FEATURES', 'claims_features r1', 'applied; materialised up to v5', '2026-03-01 00:01:00Z']],
      ['training', ['TRAINING', 'run run-2222', 'retraining policy: succeeded: roc_auc 0.93', '2026-03-01 00:42:00Z']],
      ['registry', ['REGISTRY', 'production → v2', 'v2 promoted to production (was v1)', '2026-03-01 00:43:00Z']],
      ['deployment', ['DEPLOYMENT', 'fraud-api', 'canary v2 (10%), stable v1', '2026-03-01 00:44:00Z']],
      ['monitor', ['MONITOR', 'drifting', 'drift report: no drift (0% of features); 1 open alert', '2026-03-01 00:50:00Z']],
    ];
    for (const [stage, texts] of expected) {
      const g = box(svg!, stage);
      // A line too long for its box is cut (the box's title and the table below have it whole).
      for (const text of texts) expect([stage, g]).toEqual([stage, expect.stringContaining(`>${text.slice(0, 30)}`)]);
    }
    expect(svg).toContain('<a href="/runs/run-2222-second">');
    expect(svg).toContain('<a href="/deployments/fraud-api">');
    expect(svg).toMatch(/stroke-dasharray="6 4"\s+marker-end="url\(#loop-head\)"/);
    expect(svg).toContain('>drift → retraining</text>');
    // The stages' full text is in a table too.
    expect(page).toMatch(/id="stages"[\s\S]*retraining policy: succeeded: roc_auc 0.93/);
    // Every service was read with the lineage's dataset and feature view.
    expect(calls.sort()).toEqual(
      [
        'deployer.listDeployments',
        'deployer.listDeploymentChanges',
        'featureStore.getFeatureView claims_features',
        'ingestion.getDataset claims',
        'ingestion.listVersions claims',
        'monitor.getModelHealth',
        'monitor.listAlerts',
        'monitor.listDriftReports',
        'registry.getModel',
        'registry.listAuditLog',
        'registry.listModelVersions',
        'trainer.listRetrainingDecisions',
        'trainer.listRuns',
      ].sort(),
    );
  });

  it('tells the timeline newest first, linking a run to its decision and a decision to its drift report', async () => {
    const page = await (await reader.get('/loop/fraud')).text();
    const timeline = page.slice(page.indexOf('id="timeline"'));
    const ids = [...timeline.matchAll(/<tr id="([^"]+)">/g)].map((m) => m[1]);
    expect(ids.slice(0, 8)).toEqual([
      'report-report-calm-2',
      'deployment-fraud-api-20260301T004400.000Z',
      'audit-audit-4',
      'audit-audit-3',
      'run-run-2222-second',
      'decision-dec00001-aaaa',
      'alert-alert-0001',
      'report-report-drift-1',
    ]);
    const times = [...timeline.matchAll(/<tr id="[^"]+">\s*<td[^>]*>([^<]+)<\/td>/g)].map((m) => m[1]);
    expect(times).toHaveLength(ids.length);
    expect(times).toEqual([...times].sort().reverse());

    const run = row(timeline, 'run-run-2222-second');
    expect(run).toContain('<a href="#decision-dec00001-aaaa">decision dec00001</a>');
    expect(run).toContain('<a href="#data-claims-v4-v5">claims v4–v5</a>');
    expect(run).toContain('<a href="/runs/run-2222-second">run run-2222 (retraining policy) succeeded: roc_auc 0.93');
    const decision = row(timeline, 'decision-dec00001-aaaa');
    expect(decision).toContain('retraining decided (200 new rows, run run-2222): drift on amount (share 0.5 &gt;= 0.3)');
    expect(decision).toContain('<a href="#report-report-drift-1">drift report report-drift-1</a>');
    expect(row(timeline, 'audit-audit-4')).toContain('<a href="#audit-audit-3">v2 registered</a>');
    expect(row(timeline, 'audit-audit-3')).toContain('<a href="#run-run-2222-second">run run-2222</a>');
    const canary = row(timeline, 'deployment-fraud-api-20260301T004400.000Z');
    expect(canary).toContain('<a href="#audit-audit-4">production → v2</a>');
    expect(canary).toContain('fraud-api: canary v2 started on 10% of traffic, v1 stable');
    expect(canary).not.toContain('(current state)');
    expect(row(timeline, 'report-report-drift-1')).toContain(
      '<a href="#deployment-fraud-api-20260301T002300.000Z">fraud-api v1 deployed</a>',
    );
    expect(row(timeline, 'data-claims-v4-v5')).toContain('claims v4–v5 committed: +200 rows (500 in total, 3 quarantined)');
  });

  it('escapes what the services say', async () => {
    const page = await (await reader.get('/loop/fraud')).text();
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<script');
  });

  it('still renders when one service fails or refuses, with a note in that stage’s box', async () => {
    failing.set('trainer', grpcError(status.UNAVAILABLE, 'connect ECONNREFUSED 127.0.0.1:8053'));
    failing.set('deployer', grpcError(status.PERMISSION_DENIED, `team "analysts" may not read deployments ${fx.HOSTILE}`));
    const res = await reader.get('/loop/fraud');
    expect(res.status).toBe(200);
    const page = await res.text();
    const training = box(page, 'training');
    expect(training).toContain('fill="#fdedec"');
    expect(training).toContain('trainer ListRuns: The service is unavailable: connect ECONNREFUSED 127.0.0.1:8053');
    expect(box(page, 'deployment')).toContain('deployer ListDeployments: Permission denied: team &quot;analysts&quot; may not read');
    expect(box(page, 'deployment')).toContain('deployer ListDeploymentChanges: Permission denied');
    expect(page).not.toContain('<img src=x');
    // The other stages are all there, from the lineage the registry gave.
    expect(box(page, 'data in')).toContain('>claims</text>');
    expect(box(page, 'registry')).toContain('>production → v2</text>');
    expect(box(page, 'monitor')).not.toContain('⚠');
    expect(page).toContain('id="audit-audit-4"');
    expect(page).not.toContain('id="run-run-2222-second"');
    // The registry's row names the run by its id even though the trainer could not be read.
    expect(row(page, 'audit-audit-3')).toContain('<span class="muted">run run-2222</span>');
  });

  it('shows the registry’s NOT_FOUND for a model it does not know, and ends the session on UNAUTHENTICATED', async () => {
    const missing = await reader.get('/loop/nope');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Not found: model &quot;nope&quot; not found');
    const other = await kit.signIn(TOKEN);
    failing.set('monitor', grpcError(status.UNAUTHENTICATED, 'token revoked'));
    const res = await other.get('/loop/fraud');
    expect(res.status).toBe(401);
    expect((await other.get('/loop/fraud')).status).toBe(303);
  });
});
