import { status } from '@grpc/grpc-js';
import { commonV1, deployerV1, registryV1 } from '@flywheel/contracts';
import { type ConsoleBackend, type DeployerCalls, type RegistryCalls } from './backend';
import { fakeCalls, grpcError, notCalled } from './testing/console-test-kit';
import { type RunningConsole, startConsole } from './server';

const GOOD = 'fw_good_token';
const DENIED = 'fw_reader_without_deployments';

const model = (m: Partial<registryV1.Model>): registryV1.Model => ({
  name: 'fraud',
  description: '',
  tags: {},
  ownerTeam: 'fraud-team',
  createTime: new Date('2026-01-02T03:04:05Z'),
  aliases: {},
  latestVersion: 0,
  ...m,
});

const version = (v: Partial<registryV1.ModelVersion>) => v as registryV1.ModelVersion;

/** Answers as the services would, recording which token each call carried. */
function fakeBackend(calls: string[]): ConsoleBackend {
  const check = (token: string, method: string) => {
    calls.push(`${method} ${token}`);
    if (token !== GOOD && token !== DENIED) throw grpcError(status.UNAUTHENTICATED, 'unknown API token');
  };
  const registry = (token: string): RegistryCalls =>
    fakeCalls<RegistryCalls>('registry', {
      async listModels() {
        check(token, 'listModels');
        return {
          models: [
            model({ name: 'fraud', latestVersion: 2, aliases: { production: 2, staging: 1 } }),
            model({ name: '<img src=x onerror=alert(1)>', ownerTeam: '' }),
          ],
          page: undefined,
        };
      },
      async getModel({ name }) {
        check(token, 'getModel');
        if (name !== 'fraud') throw grpcError(status.NOT_FOUND, `model "${name}" not found`);
        return { model: model({ latestVersion: 2, aliases: { production: 1 } }) };
      },
      async listModelVersions() {
        check(token, 'listModelVersions');
        return {
          versions: [
            version({
              version: 2,
              algorithm: commonV1.Algorithm.ALGORITHM_ONNX,
              metric: 'roc_auc',
              metrics: { roc_auc: 0.8123456 },
              aliases: [],
            }),
            version({
              version: 1,
              algorithm: commonV1.Algorithm.ALGORITHM_GRADIENT_BOOSTED_TREES,
              metric: 'roc_auc',
              // As the gRPC client hands map keys over: in lowerCamelCase.
              metrics: { rocAuc: 0.9 },
              aliases: ['production'],
            }),
          ],
          page: undefined,
        };
      },
      async listAuditLog() {
        check(token, 'listAuditLog');
        return {
          entries: [
            {
              id: 'a2',
              time: new Date('2026-01-03T00:00:00Z'),
              actor: { team: '', tokenId: '', service: 'registry' },
              action: registryV1.AuditAction.AUDIT_ACTION_PROMOTION_REFUSED,
              modelName: 'fraud',
              version: 2,
              alias: 'production',
              previousVersion: 0,
              reasons: ['roc_auc 0.8123 is not better than the champion’s 0.9 by at least 0.01'],
              comparison: {
                metric: 'roc_auc',
                higherIsBetter: true,
                championValue: 0.9,
                challengerValue: 0.8123456,
                absoluteImprovement: -0.0876544,
                relativeImprovement: -0.097,
                holdout: undefined,
              },
              eventId: '',
            },
            {
              id: 'a1',
              time: new Date('2026-01-02T00:00:00Z'),
              actor: { team: 'fraud-team', tokenId: 't1', service: '' },
              action: registryV1.AuditAction.AUDIT_ACTION_ALIAS_SET,
              modelName: 'fraud',
              version: 1,
              alias: 'production',
              previousVersion: 0,
              reasons: [],
              comparison: undefined,
              eventId: '',
            },
          ],
          page: undefined,
        };
      },
    });
  const deployer = (token: string): DeployerCalls =>
    fakeCalls<DeployerCalls>('deployer', {
      async listDeployments() {
        check(token, 'listDeployments');
        if (token === DENIED) throw grpcError(status.PERMISSION_DENIED, 'team "analysts" may not read deployments');
        return {
          deployments: [
            {
              name: 'fraud-api',
              modelName: 'fraud',
              alias: 'production',
              state: deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY,
              stableVersion: 1,
              canaryVersion: 2,
              canaryTrafficShare: 0.1,
              canaryPolicy: undefined,
              featureView: '',
              canaryStartTime: undefined,
              updateTime: new Date('2026-01-03T00:00:00Z'),
            },
          ],
          page: undefined,
        };
      },
      async getRolloutStatus({ deployment }) {
        check(token, 'getRolloutStatus');
        const stats = (v: number, requests: number, errors: number) =>
          ({
            version: v,
            requests,
            errors,
            errorRate: errors / requests,
            latencyP50Ms: 2,
            latencyP95Ms: 7.5,
            latencyP99Ms: 12,
            labelled: 0,
          }) as deployerV1.VersionStats;
        return {
          deployment: {
            name: deployment,
            modelName: 'fraud',
            alias: 'production',
            state: deployerV1.DeploymentState.DEPLOYMENT_STATE_CANARY,
            stableVersion: 1,
            canaryVersion: 2,
            canaryTrafficShare: 0.1,
          } as deployerV1.Deployment,
          stable: stats(1, 900, 9),
          canary: stats(2, 100, 3),
          summary: 'canary v2: 100 of 500 requests before it is judged',
          history: [],
        };
      },
      async listDeploymentChanges() {
        check(token, 'listDeploymentChanges');
        return { changes: [], page: undefined };
      },
    });
  return { ...notCalled(), registry, deployer };
}

describe('the console, on fake services', () => {
  let console_: RunningConsole;
  const calls: string[] = [];

  beforeAll(async () => {
    console_ = await startConsole({ port: 0, addresses: {}, backend: fakeBackend(calls) });
  });
  afterAll(() => console_.close());
  beforeEach(() => calls.splice(0));

  const get = (path: string, cookie?: string) => fetch(`${console_.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${console_.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });

  async function signIn(token = GOOD): Promise<{ cookie: string; csrf: string }> {
    const res = await post('/login', { token });
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    const page = await (await get('/models', cookie)).text();
    return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)![1] };
  }

  it('sends a visitor without a session to the sign-in form', async () => {
    for (const path of ['/', '/models', '/models/fraud', '/deployments', '/monitoring/fraud']) {
      const res = await get(path);
      expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, '/login']);
    }
    const stale = await get('/models', 'flywheel_console=made-up');
    expect(stale.headers.get('location')).toBe('/login');
    const form = await (await get('/login')).text();
    expect(form).toContain('<form method="post" action="/login">');
    expect(calls).toEqual([]);
  });

  it('refuses a token the registry does not accept, saying so, and sets no cookie', async () => {
    const res = await post('/login', { token: 'fw_wrong' });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('That token was not accepted');
    expect(calls).toEqual(['listModels fw_wrong']);
    expect((await post('/login', { token: '' })).status).toBe(400);
  });

  it('signs in with an HttpOnly, SameSite=Strict cookie holding a random session id, not the token', async () => {
    const res = await post('/login', { token: GOOD });
    expect([res.status, res.headers.get('location')]).toEqual([303, '/models']);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^flywheel_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(GOOD);
  });

  it('lists models with the signed-in token, escaping what the services say', async () => {
    const { cookie } = await signIn();
    calls.splice(0);
    const res = await get('/models', cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await res.text();
    expect(calls).toEqual([`listModels ${GOOD}`]);
    expect(page).toContain('<a href="/models/fraud">fraud</a>');
    expect(page).toContain('production → v2');
    expect(page).toContain('fraud-team');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('href="/models/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"');
  });

  it('shows a model’s versions and its audit timeline: refusals with reasons and both metric values', async () => {
    const { cookie } = await signIn();
    const page = await (await get('/models/fraud', cookie)).text();
    const versions = page.slice(page.indexOf('id="versions"'), page.indexOf('id="audit"'));
    expect(versions).toMatch(/v2<\/td>\s*<td>onnx<\/td>\s*<td>roc_auc<\/td>\s*<td class="num">0.8123<\/td>/);
    expect(versions).toMatch(/v1<\/td>\s*<td>gradient boosted trees<\/td>\s*<td>roc_auc<\/td>\s*<td class="num">0.9<\/td>/);
    const audit = page.slice(page.indexOf('id="audit"'));
    expect(audit).toContain('promotion refused');
    expect(audit).toContain('roc_auc 0.8123 is not better than the champion’s 0.9 by at least 0.01');
    expect(audit).toContain('champion 0.9, challenger 0.8123');
    expect(audit).toContain('registry (automatic)');
    expect(audit).toContain('alias set');
  });

  it('shows what the service says for a model that does not exist', async () => {
    const { cookie } = await signIn();
    const res = await get('/models/nope', cookie);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Not found: model &quot;nope&quot; not found');
  });

  it('shows deployments with stable and canary versions, traffic share and state', async () => {
    const { cookie } = await signIn();
    const page = await (await get('/deployments', cookie)).text();
    expect(page).toMatch(/<a href="\/deployments\/fraud-api">fraud-api<\/a>/);
    expect(page).toMatch(/<td>canary<\/td>\s*<td class="num">v1<\/td>\s*<td class="num">v2<\/td>\s*<td class="num">10%<\/td>/);
  });

  it('draws a deployment’s rollout figures as an SVG chart rendered on the server', async () => {
    const { cookie } = await signIn();
    const page = await (await get('/deployments/fraud-api', cookie)).text();
    expect(page).toContain('canary v2: 100 of 500 requests before it is judged');
    expect(page).toMatch(
      /<td>stable<\/td>\s*<td class="num">v1<\/td>\s*<td class="num">900<\/td>\s*<td class="num">9<\/td>\s*<td class="num">1%<\/td>/,
    );
    const svg = /<figure>(<svg[\s\S]*?<\/svg>)/.exec(page)?.[1];
    expect(svg).toBeDefined();
    expect(svg).toContain('v1 (stable)');
    expect(svg).toContain('v2 (canary)');
    expect(page).not.toContain('<script');
  });

  it('shows the service’s PERMISSION_DENIED message to a role that may not read a page', async () => {
    const { cookie } = await signIn(DENIED);
    const res = await get('/deployments', cookie);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Permission denied: team &quot;analysts&quot; may not read deployments');
  });

  it('signs out only with the session’s CSRF token, and the cookie no longer works after', async () => {
    const { cookie, csrf } = await signIn();
    const forged = await post('/logout', { csrf: 'guess' }, { cookie });
    expect(forged.status).toBe(403);
    expect((await get('/models', cookie)).status).toBe(200);
    const crossSite = await post('/logout', { csrf }, { cookie, origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const out = await post('/logout', { csrf }, { cookie });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/login']);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await get('/models', cookie)).headers.get('location')).toBe('/login');
  });

  it('ends the session when a service no longer accepts its token', async () => {
    const backend = fakeBackend([]);
    let revoked = false;
    const registry = backend.registry;
    backend.registry = (token) => (revoked ? registry('fw_revoked') : registry(token));
    const other = await startConsole({ port: 0, addresses: {}, backend });
    try {
      const login = await fetch(`${other.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${GOOD}`,
      });
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      revoked = true;
      const res = await fetch(`${other.url}/models`, { redirect: 'manual', headers: { cookie } });
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('no longer accepted');
      expect((await fetch(`${other.url}/models`, { redirect: 'manual', headers: { cookie } })).status).toBe(303);
    } finally {
      await other.close();
    }
  });
});
