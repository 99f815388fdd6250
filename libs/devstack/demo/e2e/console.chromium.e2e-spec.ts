import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { status } from '@grpc/grpc-js';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  type deployerV1,
  DriftDetectedEvent,
  GrpcServices,
  type monitorV1,
  type registryV1,
  RunCompletedEvent,
  type trainerV1,
} from '@flywheel/contracts';
import { createGrpcClient, type GrpcClient, issueToken, Role } from '@flywheel/platform';
import { SHIFTED_FEATURES, UNSHIFTED_FEATURES } from '../src/claims-generator';
import { type HeldPlatform, type ScenarioResult } from '../src/closed-loop-scenario';
import { type StreamedEvent } from '../src/event-stream';
import { DATASET, MODEL } from '../src/scenario-options';
import { demoWhileHeld } from './demo-run';

// The console in a real browser (Debian's chromium through playwright-core) on the platform a
// short closed loop left behind: every page with the story's own data, a run comparison, the
// drift that started the retraining, and a canary rolled back by a promote-role token after a
// read-role token was refused. Each page's screenshot is kept under test-results/console.
jest.setTimeout(900_000);

const CHROMIUM = '/usr/bin/chromium';
const REPO_ROOT = resolve(__dirname, '../../../..');
const SCREENSHOTS = process.env.FLYWHEEL_TEST_RESULTS
  ? join(process.env.FLYWHEEL_TEST_RESULTS, 'console')
  : join(REPO_ROOT, 'test-results', 'console');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Admin {
  registry: GrpcClient<registryV1.RegistryServiceController>;
  deployer: GrpcClient<deployerV1.DeployerServiceController>;
}

interface Seen {
  status: number;
  title: string;
  text: string;
}

describe('the console in Chromium, after the closed loop', () => {
  const output: string[] = [];
  const seen = new Map<string, Seen>();
  let result: ScenarioResult;
  let comparison: { heading: string; text: string; svg: number } | undefined;
  let drifted: string[] = [];
  let refused: { status: number; message: string; canaryAfter: number } | undefined;
  let rolledBack: { message: string; canaryAfter: number; stableAfter: number } | undefined;
  let canaryVersion = 0;

  /** Waits until every service accepts the new tokens (they reread the tokens file every few seconds). */
  async function tokensAccepted(platform: HeldPlatform, tokens: string[]): Promise<void> {
    for (const token of tokens) {
      const registry = createGrpcClient<registryV1.RegistryServiceController>(GrpcServices.registry, {
        address: platform.registry,
        token,
      });
      try {
        for (let deadline = Date.now() + 60_000; ; await sleep(500)) {
          try {
            await registry.listModels({ page: { pageSize: 1, pageToken: '' } });
            break;
          } catch (error) {
            if ((error as { code?: number }).code !== status.UNAUTHENTICATED || Date.now() > deadline) throw error;
          }
        }
      } finally {
        registry.close();
      }
    }
  }

  /** The version the story replaced goes back on the alias by hand: the deployer starts it as a canary. */
  async function startCanary(registry: Admin['registry'], deployer: Admin['deployer']): Promise<string> {
    const deployment = (await deployer.listDeployments({ page: { pageSize: 50, pageToken: '' } })).deployments.find(
      (d) => d.modelName === MODEL,
    )!;
    const previous = (await registry.listModelVersions({ modelName: MODEL, page: { pageSize: 50, pageToken: '' } })).versions
      .map((v) => v.version)
      .filter((v) => v !== deployment.stableVersion)
      .sort((a, b) => b - a)[0]!;
    await registry.setAlias({
      modelName: MODEL,
      alias: deployment.alias,
      version: previous,
      reason: 'a canary for the console to roll back',
    });
    for (let deadline = Date.now() + 60_000; ; await sleep(250)) {
      const now = (await deployer.getDeployment({ name: deployment.name })).deployment!;
      if (now.canaryVersion === previous) break;
      if (Date.now() > deadline) throw new Error(`no canary of v${previous} on ${deployment.name}: ${JSON.stringify(now)}`);
    }
    canaryVersion = previous;
    return deployment.name;
  }

  async function visit(page: Page, name: string, path: string): Promise<Seen> {
    const response = await page.goto(path);
    const entry = { status: response!.status(), title: await page.title(), text: await page.locator('main').innerText() };
    seen.set(name, entry);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    return entry;
  }

  async function signIn(browser: Browser, url: string, token: string): Promise<Page> {
    const context = await browser.newContext({ baseURL: url });
    const page = await context.newPage();
    await page.goto('/login');
    await page.fill('input[name="token"]', token);
    await Promise.all([page.waitForURL(/\/models$/), page.click('button[type="submit"]')]);
    return page;
  }

  async function lookThrough(story: ScenarioResult): Promise<void> {
    const platform = story.platform;
    const token = readFileSync(platform.adminTokenFile, 'utf8').trim();
    const admin: Admin = {
      registry: createGrpcClient(GrpcServices.registry, { address: platform.registry, token }),
      deployer: createGrpcClient(GrpcServices.deployer, { address: platform.deployer, token }),
    };
    try {
      await lookThroughAs(admin, story);
    } finally {
      admin.registry.close();
      admin.deployer.close();
    }
  }

  async function lookThroughAs(admin: Admin, story: ScenarioResult): Promise<void> {
    const platform = story.platform;
    const reader = issueToken(platform.tokensFile, { team: 'analysts', roles: [Role.Read], description: 'console e2e' }).token;
    const promoter = issueToken(platform.tokensFile, { team: 'release', roles: [Role.Promote], description: 'console e2e' }).token;
    await tokensAccepted(platform, [reader, promoter]);
    const deploymentName = await startCanary(admin.registry, admin.deployer);
    const runs = (story.events as StreamedEvent<trainerV1.RunCompleted>[]).filter((e) => e.type === RunCompletedEvent.typeName);
    const drift = (story.events as StreamedEvent<monitorV1.DriftDetected>[]).find(
      (e) => e.type === DriftDetectedEvent.typeName && e.data.report?.datasetDrift && e.data.report.modelVersion === 1,
    )!;

    mkdirSync(SCREENSHOTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await signIn(browser, platform.consoleUrl, reader);
      const pages: Array<[string, string]> = [
        ['loop', `/loop/${MODEL}`],
        ['datasets', '/datasets'],
        ['dataset', `/datasets/${DATASET}`],
        ['runs', '/runs'],
        ['run', `/runs/${runs[0]!.data.runId}`],
        ['models', '/models'],
        ['model', `/models/${MODEL}`],
        ['deployments', '/deployments'],
        ['deployment', `/deployments/${deploymentName}`],
        ['monitoring', `/monitoring/${MODEL}`],
      ];
      for (const [name, path] of pages) await visit(page, name, path);

      // Two runs picked in the runs table and compared.
      await page.goto('/runs');
      for (const run of runs.slice(0, 2)) await page.check(`input[name="run"][value="${run.data.runId}"]`);
      await Promise.all([page.waitForURL(/\/runs\/compare\?/), page.click('button:has-text("Compare selected")')]);
      await page.screenshot({ path: join(SCREENSHOTS, 'run-comparison.png'), fullPage: true });
      comparison = {
        heading: await page.locator('h1').innerText(),
        text: await page.locator('main').innerText(),
        svg: await page.locator('main svg').count(),
      };

      // The drift report that started the retraining.
      await visit(page, 'drift-report', `/monitoring/${MODEL}?report=${encodeURIComponent(drift.data.report!.reportId)}`);
      drifted = await page.locator('#drift tr:has(td.refused) td:first-child').allInnerTexts();

      // A read-role token may look at the rollback form, and the deployer refuses it.
      await page.goto(`/deployments/${deploymentName}`);
      await page.fill('#rollback input[name="reason"]', 'tried by an analyst');
      const refusal = await Promise.all([page.waitForNavigation(), page.click('#rollback button[type="submit"]')]);
      await page.screenshot({ path: join(SCREENSHOTS, 'rollback-refused.png'), fullPage: true });
      refused = {
        status: refusal[0]!.status(),
        message: await page.locator('[role="alert"]').innerText(),
        canaryAfter: (await admin.deployer.getDeployment({ name: deploymentName })).deployment!.canaryVersion,
      };

      const release = await signIn(browser, platform.consoleUrl, promoter);
      await release.goto(`/deployments/${deploymentName}`);
      await release.fill('#rollback input[name="reason"]', 'the old version goes back only through the gate');
      await Promise.all([release.waitForURL(/rolled-back-to=/), release.click('#rollback button[type="submit"]')]);
      await release.screenshot({ path: join(SCREENSHOTS, 'rolled-back.png'), fullPage: true });
      const after = (await admin.deployer.getDeployment({ name: deploymentName })).deployment!;
      rolledBack = {
        message: await release.locator('[role="status"]').innerText(),
        canaryAfter: after.canaryVersion,
        stableAfter: after.stableVersion,
      };
    } finally {
      await browser.close();
    }
  }

  beforeAll(async () => {
    result = await demoWhileHeld(
      [
        ...['--seed', '11', '--backfill', '1000', '--before-shift', '600', '--retrain-claims', '1400', '--after-rollout', '700'],
        ...['--window', '200', '--canary-requests', '80', '--max-shift-claims', '6000', '--step-timeout', '150000'],
      ],
      output,
      840_000,
      lookThrough,
    );
  });

  afterAll(() => {
    process.stdout.write(`${output.join('\n')}\n`);
  });

  it('prints where the console is, to watch the story in', () => {
    expect(output.some((line) => /watch it in the console: http:\/\/127\.0\.0\.1:\d+ \(sign in with the admin token in /.test(line))).toBe(
      true,
    );
  });

  it('shows every page to a read-role token, each with the story’s data', () => {
    for (const [name, page] of seen) expect([name, page.status]).toEqual([name, 200]);
    expect(seen.get('loop')!.text).toContain(DATASET);
    expect(seen.get('datasets')!.text).toContain(DATASET);
    expect(seen.get('dataset')!.text).toMatch(/amount/);
    expect(seen.get('models')!.text).toContain(MODEL);
    expect(seen.get('model')!.text).toMatch(/promotion refused|alias set/);
    expect(seen.get('deployment')!.text).toContain(`canary v${canaryVersion}`);
    for (const run of result.events.filter((e) => e.type === RunCompletedEvent.typeName))
      expect(seen.get('runs')!.text).toContain((run.data as trainerV1.RunCompleted).runId.slice(0, 8));
  });

  it('compares two runs picked in the runs table, with a chart', () => {
    const [first, second] = result.events.filter((e) => e.type === RunCompletedEvent.typeName) as StreamedEvent<trainerV1.RunCompleted>[];
    expect(comparison!.text).toContain(first!.data.runId.slice(0, 8));
    expect(comparison!.text).toContain(second!.data.runId.slice(0, 8));
    expect(comparison!.text).toContain('accuracy');
    expect(comparison!.svg).toBeGreaterThan(0);
  });

  it('shows the drift that started the retraining on the features the scenario shifted, and only those', () => {
    expect(drifted.length).toBeGreaterThan(0);
    for (const feature of drifted) expect(SHIFTED_FEATURES).toContain(feature);
    for (const feature of UNSHIFTED_FEATURES) expect(drifted).not.toContain(feature);
    expect(seen.get('drift-report')!.text).toContain('dataset drift');
  });

  it('refuses a rollback to a read-role token, with the deployer’s reason, and the canary stays', () => {
    expect(refused!.status).toBe(403);
    expect(refused!.message).toMatch(/Permission denied/);
    expect(refused!.canaryAfter).toBe(canaryVersion);
  });

  it('rolls the canary back with a promote-role token', () => {
    expect(rolledBack!.canaryAfter).toBe(0);
    expect(rolledBack!.stableAfter).not.toBe(canaryVersion);
    expect(rolledBack!.message).toBe(`Rolled back: v${rolledBack!.stableAfter} now serves.`);
  });
});
