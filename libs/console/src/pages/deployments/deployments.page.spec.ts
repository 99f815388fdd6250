import { status } from '@grpc/grpc-js';
import { deployerV1 } from '@flywheel/contracts';
import { type DeployerCalls } from '../../backend';
import { ConsoleTestKit, fakeCalls, grpcError, type SignedIn, signInRegistry } from '../../testing/console-test-kit';

const PROMOTER = 'fw_promoter';
const READER = 'fw_reader';

const deployment = (d: Partial<deployerV1.Deployment>): deployerV1.Deployment =>
  ({
    name: 'churn-api',
    modelName: 'churn',
    alias: 'production',
    state: deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY,
    stableVersion: 3,
    canaryVersion: 4,
    canaryTrafficShare: 0.2,
    ...d,
  }) as deployerV1.Deployment;

describe('rolling a deployment back from the console', () => {
  let kit: ConsoleTestKit;
  const rollbacks: Array<{ token: string; request: deployerV1.RollbackRequest }> = [];
  let current = deployment({});
  let history: deployerV1.RolloutSample[] = [];

  // The deployer's own rule: Rollback needs the promote role.
  const deployer = (token: string): DeployerCalls =>
    fakeCalls<DeployerCalls>('deployer', {
      async getRolloutStatus() {
        return { deployment: current, stable: undefined, canary: undefined, summary: '', history };
      },
      async listDeploymentChanges() {
        return { changes: [], page: undefined };
      },
      async rollback(request) {
        if (token !== PROMOTER) throw grpcError(status.PERMISSION_DENIED, `role read may not call Rollback (needs promote)`);
        rollbacks.push({ token, request });
        current = deployment({ state: deployerV1.DeploymentState.DEPLOYMENT_STATE_STABLE, canaryVersion: 0, canaryTrafficShare: 0 });
        return { deployment: current };
      },
    });

  beforeAll(async () => {
    kit = await ConsoleTestKit.start({ registry: signInRegistry([PROMOTER, READER]), deployer });
  });
  afterAll(() => kit.close());
  beforeEach(() => {
    rollbacks.splice(0);
    current = deployment({});
    history = [];
  });

  it('offers the form on a deployment with a canary, saying what it will do', async () => {
    const page = await (await (await kit.signIn(READER)).get('/deployments/churn-api')).text();
    const form = /<form method="post" action="\/deployments\/churn-api\/rollback" id="rollback">[\s\S]*?<\/form>/.exec(page)?.[0];
    expect(form).toContain('Drop canary v4 and keep v3');
    expect(form).toMatch(/name="csrf" value="[^"]+"/);
  });

  it('rolls back with a promote-role token and shows what now serves', async () => {
    const promoter = await kit.signIn(PROMOTER);
    const res = await promoter.post('/deployments/churn-api/rollback', { reason: 'error rate doubled on the canary' });
    expect([res.status, res.headers.get('location')]).toEqual([303, '/deployments/churn-api?rolled-back-to=3']);
    expect(rollbacks).toEqual([
      { token: PROMOTER, request: { deployment: 'churn-api', toVersion: 0, reason: 'error rate doubled on the canary' } },
    ]);
    const after = await (await promoter.get(res.headers.get('location')!)).text();
    expect(after).toContain('Rolled back: v3 now serves.');
    expect(after).toContain('Return from v3 to the previous stable version');
  });

  it('shows the deployer’s refusal to a read-role token and changes nothing', async () => {
    const reader = await kit.signIn(READER);
    const res = await reader.post('/deployments/churn-api/rollback', { reason: 'trying' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Permission denied: role read may not call Rollback (needs promote)');
    expect(rollbacks).toEqual([]);
  });

  it('refuses a rollback without the session’s CSRF token or from another site, before asking the deployer', async () => {
    const promoter = await kit.signIn(PROMOTER);
    const forged = await kit.post('/deployments/churn-api/rollback', { csrf: 'guessed', reason: 'x' }, { cookie: promoter.cookie });
    expect(forged.status).toBe(403);
    const crossSite = await kit.post(
      '/deployments/churn-api/rollback',
      { csrf: promoter.csrf, reason: 'x' },
      { cookie: promoter.cookie, origin: 'https://elsewhere.example' },
    );
    expect(crossSite.status).toBe(403);
    const anonymous = await kit.post('/deployments/churn-api/rollback', { csrf: promoter.csrf, reason: 'x' });
    expect([anonymous.status, anonymous.headers.get('location')]).toEqual([303, '/login']);
    expect(rollbacks).toEqual([]);
  });

  it('keeps a reason to its limit and names a default one when none is given', async () => {
    const promoter = await kit.signIn(PROMOTER);
    await promoter.post('/deployments/churn-api/rollback', { reason: 'x'.repeat(10_000) });
    await promoter.post('/deployments/churn-api/rollback', { reason: '   ' });
    expect(rollbacks.map((r) => r.request.reason.length)).toEqual([500, 'rolled back from the console'.length]);
  });
});

describe('a deployment’s figures over time', () => {
  let kit: ConsoleTestKit;
  let reader: SignedIn;
  let current = deployment({});
  let history: deployerV1.RolloutSample[] = [];
  const START = Date.parse('2026-03-01T12:00:00Z');
  const HOSTILE = 'churn"<script>alert(1)</script>';
  const HOSTILE_SVG = 'churn&quot;&lt;script&gt;alert(1)&lt;/script&gt;';

  const sample = (i: number, version: number, s: Partial<deployerV1.RolloutSample> = {}): deployerV1.RolloutSample =>
    deployerV1.RolloutSample.fromPartial({
      time: new Date(START + i * 10_000),
      version,
      role: version === 4 ? deployerV1.VersionRole.VERSION_ROLE_CANARY : deployerV1.VersionRole.VERSION_ROLE_STABLE,
      requests: 100 + i,
      errors: i % 2,
      latencyP50Ms: 2 + i / 10,
      latencyP95Ms: 5 + i / 10,
      labelled: 10 * i,
      accuracy: i > 0 ? 0.9 : undefined,
      ...s,
    });
  /** Five intervals of v3 (stable) and v4 (canary), oldest first as the deployer gives them. */
  const fiveIntervals = (s: Partial<deployerV1.RolloutSample> = {}) =>
    Array.from({ length: 5 }, (_, i) => [sample(i, 3, s), sample(i, 4, s)]).flat();

  beforeAll(async () => {
    kit = await ConsoleTestKit.start({
      registry: signInRegistry([READER]),
      deployer: () =>
        fakeCalls<DeployerCalls>('deployer', {
          async getRolloutStatus() {
            return { deployment: current, stable: undefined, canary: undefined, summary: '', history };
          },
        }),
    });
    reader = await kit.signIn(READER);
  });
  afterAll(() => kit.close());
  beforeEach(() => {
    current = deployment({});
    history = fiveIntervals();
  });

  const page = async (): Promise<string> => (await reader.get('/deployments/churn-api')).text();
  /** The markup inside the element of that tag and id. */
  const part = (text: string, tag: string, id: string): string => {
    const match = new RegExp(`<${tag} id="${id}"[^>]*>([\\s\\S]*?)</${tag}>`).exec(text);
    if (!match) throw new Error(`no <${tag} id="${id}"> on the page`);
    return match[1];
  };
  /** The texts an SVG writes (ECharts escapes them as XML). */
  const svgTexts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  /** The lines of a chart: each one's colour and whether it is dashed. */
  const lines = (svg: string) =>
    [...svg.matchAll(/<path d="M[^"]*" fill="none" pointer-events="visible" stroke="(#[0-9a-f]{6})" stroke-width="1.5"([^>]*)>/g)].map(
      (m) => ({ colour: m[1], dashed: m[2].includes('dasharray') }),
    );
  const V3 = '#2e86c1';
  const V4 = '#d68910';

  it('draws p50 and p95 latency per interval, a line per version and percentile, each version named', async () => {
    const svg = part(await page(), 'figure', 'latency-history');
    const texts = svgTexts(svg);
    for (const name of ['v3 (stable) p50', 'v3 (stable) p95', 'v4 (canary) p50', 'v4 (canary) p95'])
      expect(texts.filter((t) => t === name)).toHaveLength(1);
    expect(texts).toContain('churn-api: latency per interval (ms)');
    expect(lines(svg)).toEqual([
      { colour: V3, dashed: false },
      { colour: V3, dashed: true },
      { colour: V4, dashed: false },
      { colour: V4, dashed: true },
    ]);
  });

  it('draws requests and errors per interval in two panels, a line per version in each', async () => {
    const svg = part(await page(), 'figure', 'traffic-history');
    const texts = svgTexts(svg);
    for (const name of ['v3 (stable)', 'v4 (canary)']) expect(texts.filter((t) => t === name)).toHaveLength(1);
    expect(texts).toEqual(expect.arrayContaining(['churn-api: requests per interval', 'errors per interval']));
    expect(lines(svg).map((l) => l.colour)).toEqual([V3, V3, V4, V4]);
  });

  it('draws the labelled accuracy per version, or says nothing is labelled yet', async () => {
    const svg = part(await page(), 'figure', 'quality-history');
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['v3 (stable)', 'v4 (canary)', expect.stringContaining('accuracy')]));
    expect(lines(svg).map((l) => l.colour)).toEqual([V3, V4]);

    history = fiveIntervals({ labelled: 0, accuracy: undefined });
    const text = await page();
    expect(text).toContain('<p class="muted" id="quality-history">No labelled predictions yet: no accuracy over time.</p>');
    expect(text).not.toContain('<figure id="quality-history">');
    expect(text).toContain('<figure id="latency-history">');
  });

  it('draws RMSE for a regression model', async () => {
    history = fiveIntervals({ accuracy: undefined, rmse: 3.5 });
    expect(svgTexts(part(await page(), 'figure', 'quality-history'))).toContain(
      'churn-api: RMSE of the labelled predictions (so far in each phase)',
    );
  });

  it('names a promoted canary by its latest role, and leaves a gap where a version answered nothing', async () => {
    const quiet = { requests: 0, latencyP50Ms: undefined, latencyP95Ms: undefined };
    history = [
      ...[0, 1, 3, 4].map((i) => sample(i, 3)),
      sample(2, 3, quiet),
      ...[0, 1].map((i) => sample(i, 4)),
      ...[2, 3, 4].map((i) => sample(i, 4, { role: deployerV1.VersionRole.VERSION_ROLE_STABLE })),
    ].sort((a, b) => a.time!.getTime() - b.time!.getTime());
    const svg = part(await page(), 'figure', 'latency-history');
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['v3 (stable) p50', 'v4 (stable) p50']));
    expect(svgTexts(svg)).not.toContain('v4 (canary) p50');
    // v3's lines break at its quiet interval: two runs each, v4's are whole.
    const runs = [...svg.matchAll(/<path d="(M[^"]*)" fill="none" pointer-events="visible" stroke="#[0-9a-f]{6}" stroke-width="1.5"/g)].map(
      (m) => m[1].split('M').length - 1,
    );
    expect(runs).toEqual([2, 2, 1, 1]);
  });

  it('says "No history yet" when the deployer has none', async () => {
    history = [];
    const text = await page();
    expect(part(text, 'section', 'history')).toContain('No history yet.');
    expect(text).not.toContain('<figure id="latency-history">');
  });

  it('escapes hostile text in the charts and around them', async () => {
    current = deployment({ name: HOSTILE, modelName: HOSTILE });
    const text = await page();
    expect(text).not.toContain('<script');
    for (const id of ['latency-history', 'traffic-history', 'quality-history']) {
      expect(svgTexts(part(text, 'figure', id)).some((t) => t.startsWith(HOSTILE_SVG))).toBe(true);
    }
  });
});

describe('a deployment’s changes', () => {
  let kit: ConsoleTestKit;
  let reader: SignedIn;
  const requests: deployerV1.ListDeploymentChangesRequest[] = [];
  let refusal: Error | undefined;
  const HOSTILE = '<img src=x onerror=alert(1)>';
  const change = (c: Partial<deployerV1.DeploymentChanged>) =>
    deployerV1.DeploymentChanged.fromPartial({ deployment: 'churn-api', modelName: 'churn', ...c });
  const changes = [
    change({
      change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_ROLLED_BACK,
      fromVersion: 4,
      toVersion: 3,
      reason: `rolled back from v4 to v3 by request: ${HOSTILE}`,
      actor: { team: 'release', tokenId: 't1', service: '' },
      changeTime: new Date('2026-03-01T12:30:00Z'),
    }),
    change({
      change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_PROMOTED,
      fromVersion: 3,
      toVersion: 4,
      reason: 'canary v4 passed every check after 150 requests',
      actor: { team: '', tokenId: '', service: 'deployer' },
      changeTime: new Date('2026-03-01T12:20:00Z'),
    }),
    change({
      change: deployerV1.DeploymentChange.DEPLOYMENT_CHANGE_CANARY_STARTED,
      fromVersion: 3,
      toVersion: 4,
      canaryTrafficShare: 0.3,
      reason: 'v4 takes 30% of traffic as a canary against v3',
      actor: { team: '', tokenId: '', service: 'deployer' },
      changeTime: new Date('2026-03-01T12:10:00Z'),
    }),
  ];

  beforeAll(async () => {
    kit = await ConsoleTestKit.start({
      registry: signInRegistry([READER]),
      deployer: () =>
        fakeCalls<DeployerCalls>('deployer', {
          async getRolloutStatus() {
            return { deployment: deployment({}), stable: undefined, canary: undefined, summary: '', history: [] };
          },
          async listDeploymentChanges(request) {
            requests.push(request);
            if (refusal) throw refusal;
            return { changes, page: undefined };
          },
        }),
    });
    reader = await kit.signIn(READER);
  });
  afterAll(() => kit.close());
  beforeEach(() => {
    requests.splice(0);
    refusal = undefined;
  });

  it('lists the latest changes newest first: time, change, versions, reason and who, escaped', async () => {
    const page = await (await reader.get('/deployments/churn-api')).text();
    expect(requests).toEqual([{ deployment: 'churn-api', modelName: '', page: { pageSize: 20, pageToken: '' } }]);
    const table = /<table id="change-log">[\s\S]*?<\/table>/.exec(page)?.[0] ?? '';
    const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
      .slice(1)
      .map((m) => [...m[1].matchAll(/<td>([^<]*)<\/td>/g)].map((c) => c[1]));
    expect(rows).toEqual([
      [
        '2026-03-01 12:30:00Z',
        'rolled back',
        'v4 → v3',
        'rolled back from v4 to v3 by request: &lt;img src=x onerror=alert(1)&gt;',
        'release',
      ],
      ['2026-03-01 12:20:00Z', 'promoted', 'v3 → v4', 'canary v4 passed every check after 150 requests', 'deployer'],
      ['2026-03-01 12:10:00Z', 'canary started', 'v3 → v4 (canary on 30%)', 'v4 takes 30% of traffic as a canary against v3', 'deployer'],
    ]);
    expect(page).not.toContain('<img src=x');
  });

  it('still shows the rollout when the deployer cannot list the changes, saying why', async () => {
    refusal = grpcError(status.UNIMPLEMENTED, 'unknown method ListDeploymentChanges');
    const res = await reader.get('/deployments/churn-api');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toMatch(/<section id="changes">[\s\S]*Not shown: [^<]*unknown method ListDeploymentChanges/);
    expect(page).toContain('id="rollback"');
  });
});
