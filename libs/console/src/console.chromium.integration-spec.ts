import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { GrpcServices, importModelVersionRequests, type registryV1 } from '@flywheel/contracts';
import { serviceEntryPoint, ServiceProcess } from '@flywheel/embedded-platform';
import { createGrpcClient } from '@flywheel/platform';
import { type ServiceInfrastructure, startServiceInfrastructure } from '@flywheel/testing';
import { type RunningConsole, startConsole } from './server';

// The console in a real browser (Debian's chromium, driven by playwright-core) over a real
// registry process: sign-in, the cookie's flags, the models pages and sign-out, as people use them.
jest.setTimeout(180_000);

const CHROMIUM = '/usr/bin/chromium';
const REPO_ROOT = join(__dirname, '../../..');
const fixtures = join(REPO_ROOT, 'libs/onnx/fixtures');
const FEATURES = ['f0', 'f1', 'f2', 'f3'];

describe('the web console in Chromium, reading a real registry', () => {
  let infra: ServiceInfrastructure;
  let registry: ServiceProcess;
  let logDir: string;
  let webConsole: RunningConsole;
  let browser: Browser;

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    logDir = mkdtempSync(join(tmpdir(), 'flywheel-console-'));
    const env = await infra.serviceEnv('registry');
    registry = new ServiceProcess({
      name: 'registry',
      entryPoint: serviceEntryPoint('registry'),
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      logFile: join(logDir, 'registry.log'),
      healthUrl: `http://127.0.0.1:${env.HTTP_PORT}/healthz`,
    });
    registry.start(() => undefined);
    const deadline = Date.now() + 120_000;
    while (!(await registry.healthy())) {
      if (!registry.running || Date.now() > deadline) throw new Error(`the registry did not start:\n${registry.tail()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const address = `127.0.0.1:${env.GRPC_PORT}`;

    // The writer's team (fraud) creates a model and imports an ONNX version: registered, and promoted as the first version.
    const writer = createGrpcClient<registryV1.RegistryServiceController>(GrpcServices.registry, { address, token: infra.tokens.writer });
    const promoter = createGrpcClient<registryV1.RegistryServiceController>(GrpcServices.registry, {
      address,
      token: infra.tokens.promoter,
    });
    try {
      await writer.createModel({ name: 'fraud', description: 'Card fraud <scored> at checkout', tags: {} });
      const imported = await writer.sendStream<registryV1.ImportModelVersionRequest, registryV1.ImportModelVersionResponse>(
        'importModelVersion',
        importModelVersionRequests(
          { modelName: 'fraud', features: FEATURES, label: 'label', metric: '', featureView: '', dataset: '' },
          readFileSync(join(fixtures, 'xgboost-classifier.onnx')),
          readFileSync(join(fixtures, 'xgboost-classifier-holdout.csv')),
        ),
      );
      expect(imported.promotion).toBe('promoted');

      // A policy no challenger meets, then a second graph: judged, and refused with reasons.
      await promoter.setPromotionPolicy({
        policy: {
          modelName: 'fraud',
          autoPromote: true,
          alias: 'production',
          metric: 'roc_auc',
          minAbsoluteImprovement: 0.9,
          minRelativeImprovement: 0,
          minHoldoutRows: 0,
        },
      });
      // The forest's own rows, its columns named as the champion's features, so both can score them.
      const [, ...rows] = readFileSync(join(fixtures, 'random-forest-classifier-holdout.csv'), 'utf8').split('\n');
      const challenger = await writer.sendStream<registryV1.ImportModelVersionRequest, registryV1.ImportModelVersionResponse>(
        'importModelVersion',
        importModelVersionRequests(
          { modelName: 'fraud', features: FEATURES, label: 'label', metric: '', featureView: '', dataset: '' },
          readFileSync(join(fixtures, 'random-forest-classifier.onnx')),
          Buffer.from([[...FEATURES, 'label'].join(','), ...rows].join('\n')),
        ),
      );
      expect([challenger.version?.version, challenger.promotion]).toEqual([2, expect.not.stringMatching(/^promoted$/)]);
    } finally {
      writer.close();
      promoter.close();
    }

    webConsole = await startConsole({ port: 0, addresses: { registry: address } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await webConsole?.close();
    await registry?.stop(10_000);
    await infra?.stop();
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  });

  let context: BrowserContext;
  let page: Page;
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterEach(() => context.close());

  async function signIn(token: string): Promise<void> {
    await page.goto(`${webConsole.url}/login`);
    await page.fill('input[name="token"]', token);
    // The answer to the form (a redirect to the models, or the form again with a message) is a new document.
    await Promise.all([page.waitForEvent('framenavigated'), page.click('button[type="submit"]')]);
    await page.waitForLoadState('load');
  }

  it('sends a browser without a session to the sign-in form', async () => {
    for (const path of ['/models', '/models/fraud', '/deployments']) {
      await page.goto(`${webConsole.url}${path}`);
      expect(new URL(page.url()).pathname).toBe('/login');
    }
    expect(await page.locator('h1').textContent()).toBe('Sign in');
  });

  it('refuses a token the registry does not know, with a message, and sets no cookie', async () => {
    await signIn('fw_not_a_real_token');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByRole('alert').textContent()).toContain('That token was not accepted');
    expect(await context.cookies()).toEqual([]);
  });

  it('signs in with the reader token: an HttpOnly, SameSite=Strict session cookie, the models and the audit timeline', async () => {
    await signIn(infra.tokens.reader);
    expect(new URL(page.url()).pathname).toBe('/models');

    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'flywheel_console', path: '/', httpOnly: true, sameSite: 'Strict' })]);
    expect(cookies[0].value).not.toContain(infra.tokens.reader);
    expect(await page.evaluate('document.cookie')).toBe('');

    const row = page.locator('tr', { has: page.locator('a', { hasText: 'fraud' }) });
    expect(await row.locator('td').allTextContents()).toEqual(['fraud', 'v2', 'production → v1', 'fraud', expect.any(String)]);

    await Promise.all([page.waitForURL(/\/models\/fraud$/), page.click('a:text-is("fraud")')]);
    expect(await page.locator('main > p').first().textContent()).toBe('Card fraud <scored> at checkout');
    const version = (v: string) => page.locator('#versions tbody tr', { has: page.locator(`td:text-is("${v}")`) }).locator('td');
    expect((await version('v1').allTextContents()).slice(0, 5)).toEqual([
      'v1',
      'onnx',
      'roc_auc',
      expect.stringMatching(/^0\.\d+$/),
      'production',
    ]);
    expect((await version('v2').allTextContents()).slice(0, 5)).toEqual(['v2', 'onnx', 'roc_auc', expect.stringMatching(/^0\.\d+$/), '']);
    const actions = await page.locator('#audit tbody tr td:nth-child(2)').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['version registered', 'alias set', 'promotion refused']));
    // The refusal: its version, the registry's reasons and both sides' values on the challenger's holdout.
    const refusal = page.locator('#audit tbody tr', { has: page.locator('td:text-is("promotion refused")') });
    const cells = await refusal.locator('td').allInnerTexts();
    expect(cells[2]).toBe('v2');
    expect(cells[4].trim()).not.toBe('-');
    expect(cells[5]).toMatch(/^roc_auc: champion 0\.\d+, challenger 0\.\d+ \(higher is better; Δ [\d.e-]+, 200 holdout rows\)$/);
  });

  it('says which service it cannot reach instead of failing', async () => {
    await signIn(infra.tokens.reader);
    const response = await page.goto(`${webConsole.url}/deployments`);
    expect(response?.status()).toBe(503);
    expect(await page.getByRole('alert').textContent()).toContain('no address for the deployer service');
  });

  it('signs out: the session ends and pages send the browser back to sign in', async () => {
    await signIn(infra.tokens.reader);
    await Promise.all([page.waitForURL(/\/login$/), page.click('button:text-is("Sign out")')]);
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${webConsole.url}/models`);
    expect(new URL(page.url()).pathname).toBe('/login');
  });
});
