import { status } from '@grpc/grpc-js';
import { commonV1, monitorV1, type registryV1 } from '@flywheel/contracts';
import { type MonitorCalls, type RegistryCalls } from '../../backend';
import { ConsoleTestKit, fakeCalls, grpcError, type SignedIn } from '../../testing/console-test-kit';

const READER = 'fw_reader';
/** A team the monitor lets read reports and alerts but not a model's health. */
const NO_HEALTH = 'fw_no_health';
/** A team the monitor refuses everything. */
const DENIED = 'fw_denied';

const HOSTILE = '<img src=x onerror=alert(1)>';
const HOSTILE_ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';

const feature = (f: Partial<monitorV1.FeatureDrift>): monitorV1.FeatureDrift =>
  ({ referenceCount: 1000, currentCount: 500, drifted: false, ...f }) as monitorV1.FeatureDrift;

/** Three features, one per kind of test: KS (judged on its p-value), Jensen-Shannon and PSI (judged on the statistic). */
const features = (hour: number): monitorV1.FeatureDrift[] => [
  feature({
    feature: 'amount',
    test: monitorV1.DriftTest.DRIFT_TEST_KS,
    statistic: 0.1 * hour,
    pValue: 10 ** -hour,
    threshold: 0.05,
    drifted: 10 ** -hour < 0.05,
  }),
  feature({ feature: 'channel', test: monitorV1.DriftTest.DRIFT_TEST_JENSEN_SHANNON, statistic: 0.02 * hour, threshold: 0.1 }),
  feature({ feature: HOSTILE, test: monitorV1.DriftTest.DRIFT_TEST_PSI, statistic: 0.05 * hour, threshold: 0.2 }),
];

const numeric = (name: string, edges: number[], counts: number[]) =>
  ({
    name,
    type: commonV1.ColumnType.COLUMN_TYPE_DOUBLE,
    count: counts.reduce((a, b) => a + b, 0),
    nullCount: 0,
    numeric: { min: edges[0], max: edges.at(-1), mean: 0, std: 0, quantiles: [], histogramEdges: edges, histogramCounts: counts },
  }) as commonV1.ColumnProfile;
const categorical = (name: string, top: Array<[string, number]>, otherCount: number) =>
  ({
    name,
    type: commonV1.ColumnType.COLUMN_TYPE_STRING,
    count: top.reduce((a, [, c]) => a + c, otherCount),
    nullCount: 0,
    categorical: { distinctCount: top.length + 1, topValues: top.map(([value, count]) => ({ value, count })), otherCount },
  }) as commonV1.ColumnProfile;

const TRAINING_PROFILE = {
  rowCount: 1000,
  columns: [
    numeric('amount', [0, 100, 200, 300], [604, 317, 79]),
    categorical(
      'channel',
      [
        ['web', 701],
        ['app', 251],
      ],
      48,
    ),
    numeric(HOSTILE, [0, 1], [1000]),
  ],
} as commonV1.DataProfile;
const CURRENT_PROFILE = {
  rowCount: 500,
  columns: [
    numeric('amount', [0, 100, 200, 300], [23, 61, 416]),
    categorical(
      'channel',
      [
        ['app', 389],
        ['web', 111],
      ],
      0,
    ),
    numeric(HOSTILE, [0, 1], [500]),
  ],
} as commonV1.DataProfile;

const reportIdAt = (hour: number) => `00000000-0000-4000-8000-0000000000${hour}`;

/** Three hourly reports, newest first as ListDriftReports gives them, without profiles. */
const HISTORY = [13, 12, 11].map(
  (hour) =>
    ({
      reportId: reportIdAt(hour),
      modelName: 'fraud',
      modelVersion: 3,
      features: features(hour - 10),
      driftedShare: 0,
      driftShareThreshold: 0.5,
      datasetDrift: false,
      createTime: new Date(`2026-01-04T${hour}:00:00Z`),
    }) as monitorV1.DriftReport,
);
const LATEST = { ...HISTORY[0], driftedShare: 1 / 3, datasetDrift: true, currentProfile: CURRENT_PROFILE } as monitorV1.DriftReport;

const ALERT = {
  alertId: 'a-1',
  modelName: 'fraud',
  modelVersion: 3,
  kind: monitorV1.AlertKind.ALERT_KIND_DATA_DRIFT,
  message: `1 of 3 features drifted (${HOSTILE})`,
  reportId: reportIdAt(13),
  eventId: 'e-1',
  raiseTime: new Date('2026-01-04T13:00:01Z'),
} as monitorV1.Alert;

describe('the monitoring pages', () => {
  let kit: ConsoleTestKit;
  const calls: Array<{ method: string; request: unknown }> = [];
  let manyFeatures = false;

  const refuse = (token: string, method: string) => {
    if (token === DENIED || (token === NO_HEALTH && method === 'getModelHealth'))
      throw grpcError(status.PERMISSION_DENIED, `team "analysts" may not call ${method}`);
  };

  const registry = (token: string): RegistryCalls =>
    fakeCalls<RegistryCalls>('registry', {
      async listModels() {
        if (![READER, NO_HEALTH, DENIED].includes(token)) throw grpcError(status.UNAUTHENTICATED, 'unknown API token');
        return {
          models: [
            { name: 'fraud', latestVersion: 3, aliases: { production: 3 }, ownerTeam: 'risk' } as unknown as registryV1.Model,
            { name: 'churn"<b>', latestVersion: 0, aliases: {}, ownerTeam: '' } as unknown as registryV1.Model,
          ],
          page: undefined,
        };
      },
      async getModelVersion(request) {
        calls.push({ method: 'registry.getModelVersion', request });
        return { version: { modelName: 'fraud', version: 3, lineage: { trainingProfile: TRAINING_PROFILE } } as registryV1.ModelVersion };
      },
    });

  const monitor = (token: string): MonitorCalls =>
    fakeCalls<MonitorCalls>('monitor', {
      async getDriftReport(request) {
        refuse(token, 'getDriftReport');
        calls.push({ method: 'monitor.getDriftReport', request });
        if (request.modelName !== 'fraud') throw grpcError(status.NOT_FOUND, `model "${request.modelName}" has no drift report yet`);
        if (request.reportId) {
          const found = HISTORY.find((r) => r.reportId === request.reportId);
          if (!found) throw grpcError(status.NOT_FOUND, `drift report "${request.reportId}" of model "fraud" not found`);
          return { report: { ...found, modelVersion: 2, currentProfile: CURRENT_PROFILE } };
        }
        if (manyFeatures)
          return {
            report: {
              ...LATEST,
              features: Array.from({ length: 35 }, (_, i) => feature({ feature: `f${i}`, test: 1, statistic: 0.1, threshold: 0.05 })),
            },
          };
        return { report: LATEST };
      },
      async listDriftReports(request) {
        refuse(token, 'listDriftReports');
        calls.push({ method: 'monitor.listDriftReports', request });
        return { reports: request.modelName === 'fraud' ? HISTORY : [], page: { nextPageToken: '' } };
      },
      async getModelHealth(request) {
        refuse(token, 'getModelHealth');
        if (request.modelName !== 'fraud') throw grpcError(status.NOT_FOUND, `model "${request.modelName}" is not monitored`);
        return {
          modelName: 'fraud',
          modelVersion: 3,
          status: monitorV1.HealthStatus.HEALTH_STATUS_DEGRADED,
          windowPredictions: 312,
          windowLabelled: 87,
          accuracy: 0.81,
          referenceAccuracy: 0.9,
          latestReport: undefined,
          openAlerts: [],
        };
      },
      async listAlerts(request) {
        refuse(token, 'listAlerts');
        calls.push({ method: 'monitor.listAlerts', request });
        return { alerts: request.modelName === 'fraud' ? [ALERT] : [], page: { nextPageToken: '' } };
      },
    });

  let reader: SignedIn;

  beforeAll(async () => {
    kit = await ConsoleTestKit.start({ registry, monitor });
    reader = await kit.signIn(READER);
  });
  afterAll(() => kit.close());
  beforeEach(() => {
    calls.splice(0);
    manyFeatures = false;
  });

  const page = async (path: string, as: SignedIn = reader): Promise<{ status: number; text: string }> => {
    const res = await as.get(path);
    return { status: res.status, text: await res.text() };
  };
  /** The markup inside the element of that tag and id, nested elements of the same tag and all. */
  const part = (text: string, tag: string, id: string): string => {
    const start = text.indexOf(`<${tag} id="${id}"`);
    if (start < 0) throw new Error(`no <${tag} id="${id}"> on the page`);
    const tags = new RegExp(`<${tag}[\\s>]|</${tag}>`, 'g');
    tags.lastIndex = start;
    let depth = 0;
    for (let m = tags.exec(text); m; m = tags.exec(text)) {
      depth += m[0].startsWith('</') ? -1 : 1;
      if (depth === 0) return text.slice(text.indexOf('>', start) + 1, m.index);
    }
    throw new Error(`<${tag} id="${id}"> is not closed`);
  };
  /** The texts an SVG writes (ECharts escapes them as XML). */
  const svgTexts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

  it('lists the registry’s models, each linking to its monitoring page', async () => {
    const { status: code, text } = await page('/monitoring');
    expect(code).toBe(200);
    expect(text).toContain('<a href="/monitoring/fraud">fraud</a>');
    expect(text).toContain('<a href="/monitoring/churn%22%3Cb%3E">churn&quot;&lt;b&gt;</a>');
    expect(text).not.toContain('<b>');
  });

  it('shows the model’s health: status, the open window and live against reference accuracy', async () => {
    const health = part((await page('/monitoring/fraud')).text, 'section', 'health');
    expect(health).toMatch(/<th>status<\/th>\s*<td class="refused">degraded<\/td>/);
    expect(health).toContain('v3');
    expect(health).toContain('312 predictions, 87 labelled');
    expect(health).toMatch(/81% vs reference\s*90%\s*<span class="muted">\(down 9%\)<\/span>/);
  });

  it('draws each feature’s statistic and p-value over the newest reports, a line per feature, with the thresholds', async () => {
    const { text } = await page('/monitoring/fraud');
    expect(calls.find((c) => c.method === 'monitor.listDriftReports')?.request).toEqual({
      modelName: 'fraud',
      createTimeRange: undefined,
      page: { pageSize: 200, pageToken: '' },
    });

    const statistic = part(text, 'figure', 'statistic-history');
    const texts = svgTexts(statistic);
    // The legend names one line per feature, each once.
    for (const name of ['amount', 'channel', HOSTILE_ESCAPED]) expect(texts.filter((t) => t === name)).toHaveLength(1);
    // One solid line per feature, in the feature's colour, through its three reports.
    const lines = [
      ...statistic.matchAll(
        /<path d="M[^"]*" fill="none" pointer-events="visible" stroke="(#[0-9a-f]{6})" stroke-width="1.5"(?![^>]*dasharray)/g,
      ),
    ];
    expect(lines.map((l) => l[1])).toEqual(['#2e86c1', '#c0392b', '#1e8449']);
    // The distance tests' thresholds differ, so each is drawn dashed in its feature's colour;
    // KS is judged on its p-value, so its threshold is not drawn on the statistic.
    expect(texts).toEqual(expect.arrayContaining(['channel 0.1', `${HOSTILE_ESCAPED} 0.2`]));
    expect(texts.some((t) => t.startsWith('amount 0.05') || t.startsWith('threshold'))).toBe(false);
    expect(statistic).toMatch(/stroke="#c0392b"[^>]*stroke-dasharray/);
    expect(statistic).toMatch(/stroke="#1e8449"[^>]*stroke-dasharray/);

    // Only KS gives p-values: one line, one shared threshold.
    const pValues = part(text, 'figure', 'p-value-history');
    expect(svgTexts(pValues)).toEqual(expect.arrayContaining(['amount', 'threshold 0.05']));
    expect(svgTexts(pValues)).not.toContain('channel');
    expect(pValues).toContain('p-values below 1e-12 are drawn at 1e-12');
  });

  it('draws the reference and the current histogram of each feature side by side, with their bin counts', async () => {
    const { text } = await page('/monitoring/fraud');
    expect(calls.find((c) => c.method === 'registry.getModelVersion')?.request).toEqual({ modelName: 'fraud', version: 3 });
    const distributions = part(text, 'section', 'distributions');
    const sections = distributions.split('<section class="feature-distribution">').slice(1);
    expect(sections).toHaveLength(3);
    const binCounts = (section: string, kind: 'reference' | 'current') => {
      const figure = new RegExp(`<figure class="${kind}">([\\s\\S]*?)</figure>`).exec(section)![1];
      expect(figure).toMatch(/^\s*<svg[\s\S]*<\/svg>/);
      expect(figure).toContain('width="300" height="160"');
      return [...figure.matchAll(/<tr>\s*<td>([^<]*)<\/td>\s*<td class="num">(\d+)<\/td>\s*<\/tr>/g)].map((m) => [m[1], Number(m[2])]);
    };
    const [amount, channel, hostile] = sections;
    expect(amount).toContain('<h3>amount');
    expect(binCounts(amount, 'reference')).toEqual([
      ['0–100', 604],
      ['100–200', 317],
      ['200–300', 79],
    ]);
    expect(binCounts(amount, 'current')).toEqual([
      ['0–100', 23],
      ['100–200', 61],
      ['200–300', 416],
    ]);
    expect(binCounts(channel, 'reference')).toEqual([
      ['web', 701],
      ['app', 251],
      ['(other)', 48],
    ]);
    expect(binCounts(channel, 'current')).toEqual([
      ['app', 389],
      ['web', 111],
    ]);
    expect(hostile).toContain(`<h3>${HOSTILE_ESCAPED}`);
  });

  it('draws at most 30 features’ distributions and says so', async () => {
    manyFeatures = true;
    const distributions = part((await page('/monitoring/fraud')).text, 'section', 'distributions');
    expect(distributions.split('<section class="feature-distribution">')).toHaveLength(31);
    expect(distributions).toContain('The first 30 of 35 features.');
  });

  it('keeps the latest report’s table and chart', async () => {
    const { text } = await page('/monitoring/fraud');
    const latest = part(text, 'section', 'latest');
    expect(latest).toMatch(
      /<td>amount<\/td>\s*<td>ks<\/td>\s*<td class="num">0.3<\/td>\s*<td class="num">0.001<\/td>\s*<td class="num">0.05<\/td>\s*<td class="refused">drifted<\/td>/,
    );
    expect(latest).toMatch(/<td>channel<\/td>[\s\S]*?<td class="">no<\/td>/);
    expect(latest).toMatch(/33.3% of features drifted \(threshold\s+50%\) —/);
    expect(latest).toContain('<span class="refused">dataset drift</span>');
    expect(latest).toContain(`Latest drift report ${reportIdAt(13)} on v3`);
    expect(latest).toMatch(/<figure><svg[\s\S]*amount[\s\S]*<\/svg>/);
  });

  it('lists the open alerts with their kind in words, message, report and raise time', async () => {
    const { text } = await page('/monitoring/fraud');
    expect(calls.find((c) => c.method === 'monitor.listAlerts')?.request).toMatchObject({ modelName: 'fraud', openOnly: true });
    expect(part(text, 'section', 'open-alerts')).toMatch(
      new RegExp(
        `<td>2026-01-04 13:00:01Z</td>\\s*<td>data drift</td>\\s*<td class="num">v3</td>\\s*<td>1 of 3 features drifted \\(${HOSTILE_ESCAPED.replace(/[()]/g, '\\$&')}\\)</td>\\s*<td><a href="/monitoring/fraud\\?report=${reportIdAt(13)}">${reportIdAt(13)}</a></td>`,
      ),
    );
  });

  it('details an older report asked for by id, against its own version’s training profile', async () => {
    const asked = reportIdAt(11);
    const { status: code, text } = await page(`/monitoring/fraud?report=${asked}`);
    expect(code).toBe(200);
    expect(calls.find((c) => c.method === 'monitor.getDriftReport')?.request).toEqual({ modelName: 'fraud', reportId: asked });
    expect(calls.find((c) => c.method === 'registry.getModelVersion')?.request).toEqual({ modelName: 'fraud', version: 2 });
    const report = part(text, 'section', 'latest');
    expect(report).toContain(`Report ${asked} <a class="muted" href="/monitoring/fraud">(see the latest)</a>`);
    expect(report).toMatch(/<td>amount<\/td>\s*<td>ks<\/td>\s*<td class="num">0.1<\/td>/);
    expect(part(text, 'section', 'distributions')).toContain('reference (v2 training set)');

    expect((await page(`/monitoring/fraud?report=${reportIdAt(99)}`)).status).toBe(404);
    const bad = await page('/monitoring/fraud?report=..%2Fetc');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('That report id is not valid.');
  });

  it('escapes hostile feature names everywhere: tables, headings and charts', async () => {
    const { text } = await page('/monitoring/fraud');
    expect(text).not.toContain(HOSTILE);
    expect(text).toContain(`<td>${HOSTILE_ESCAPED}</td>`);
    expect(text).not.toContain('<script');
  });

  it('renders the rest with a note when the monitor refuses the health read', async () => {
    const { status: code, text } = await page('/monitoring/fraud', await kit.signIn(NO_HEALTH));
    expect(code).toBe(200);
    expect(part(text, 'section', 'health')).toContain('Permission denied: team &quot;analysts&quot; may not call getModelHealth');
    expect(part(text, 'figure', 'statistic-history')).toContain('<svg');
    expect(part(text, 'section', 'open-alerts')).toContain('data drift');
    expect(part(text, 'section', 'distributions')).toContain('<figure class="reference">');
  });

  it('shows the monitor’s refusal as the page when the latest report itself may not be read', async () => {
    const { status: code, text } = await page('/monitoring/fraud', await kit.signIn(DENIED));
    expect(code).toBe(403);
    expect(text).toContain('Permission denied: team &quot;analysts&quot; may not call getDriftReport');
  });

  it('says when there is no drift report yet', async () => {
    const { status: code, text } = await page('/monitoring/other');
    expect(code).toBe(200);
    expect(part(text, 'section', 'latest')).toContain('No drift report yet');
    expect(part(text, 'section', 'history')).toContain('No drift report yet.');
    expect(part(text, 'section', 'health')).toContain('Not found: model &quot;other&quot; is not monitored');
    expect(part(text, 'section', 'open-alerts')).toContain('No open alerts.');
    expect(text).not.toContain('id="distributions"');
    expect(calls.map((c) => c.method)).not.toContain('registry.getModelVersion');
  });
});
