import { status } from '@grpc/grpc-js';
import { deployerV1 } from '@flywheel/contracts';
import { type DeployerCalls } from '../../backend';
import { ConsoleTestKit, fakeCalls, grpcError, signInRegistry } from '../../testing/console-test-kit';

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

  // The deployer's own rule: Rollback needs the promote role.
  const deployer = (token: string): DeployerCalls =>
    fakeCalls<DeployerCalls>('deployer', {
      async getRolloutStatus() {
        return { deployment: current, stable: undefined, canary: undefined, summary: '' };
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
