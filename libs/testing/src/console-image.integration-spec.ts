import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { eventually, freePort } from '@flywheel/test-kit';
import { CONSOLE_IMAGE, layOutServiceImage, readServiceDockerfile } from './service-image';

// The console's image, proved as the services' are (service-image.integration-spec.ts) without a
// Docker engine: its runtime files laid out by the same step, then its CMD started with plain
// node, with production dependencies only. The console asks no service until someone signs in,
// so it needs no infrastructure to answer /healthz.

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe("the console image's runtime layout", () => {
  let image: string;
  let child: ChildProcess | undefined;
  let output = '';
  const { stages } = readServiceDockerfile(CONSOLE_IMAGE);
  const runtime = stages[stages.length - 1];
  const [program, ...args] = JSON.parse(runtime.instructions.find((i) => i.keyword === 'CMD')!.args) as string[];
  // Only what the image's ENV sets (CONSOLE_HTTP_HOST on loopback here, not every interface of the test machine).
  const imageEnv = () => ({ PATH: process.env.PATH, NODE_ENV: 'production', FLYWHEEL_PROTO_ROOT: join(image, 'proto') });

  beforeAll(async () => {
    image = mkdtempSync(join(tmpdir(), `flywheel-image-${CONSOLE_IMAGE}-`));
    await layOutServiceImage(CONSOLE_IMAGE, image);
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (image) rmSync(image, { recursive: true, force: true });
  }, 60_000);

  it('holds compiled JavaScript only: the console, the libraries it imports and proto/', () => {
    const files = filesUnder(join(image, 'dist'));
    expect(files).toContain('libs/console/src/main.js');
    expect(files.filter((file) => /\.(ts|tsx|mts|cts)$/.test(file))).toEqual([]);
    expect(readdirSync(join(image, 'dist')).sort()).toEqual(['libs', 'node_modules']);
    expect(readdirSync(join(image, 'dist', 'libs')).sort()).toEqual(['console', 'contracts', 'platform']);
    expect(existsSync(join(image, 'proto', 'buf.yaml'))).toBe(true);
    expect(existsSync(join(image, 'node_modules', 'echarts'))).toBe(true);
    expect(existsSync(join(image, 'node_modules', 'typescript'))).toBe(false);
  });

  it('refuses a bad variable at boot, naming it', () => {
    const run = spawnSync(process.execPath, args, {
      cwd: image,
      env: { ...imageEnv(), CONSOLE_HTTP_PORT: 'eighty', REGISTRY_GRPC_ADDRESS: 'registry' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('CONSOLE_HTTP_PORT: must be a port number (got "eighty")');
    expect(run.stderr).toContain('REGISTRY_GRPC_ADDRESS: must be host:port');
  }, 70_000);

  it("starts from the Dockerfile's CMD with plain node, answers /healthz, logs its URL and stops on SIGTERM", async () => {
    expect(program).toBe('node');
    const port = await freePort();
    child = spawn(process.execPath, args, {
      cwd: image,
      env: { ...imageEnv(), CONSOLE_HTTP_HOST: '127.0.0.1', CONSOLE_HTTP_PORT: String(port), REGISTRY_GRPC_ADDRESS: 'registry:8054' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    let body = '';
    const healthy = await eventually(
      async () => {
        if (child!.exitCode !== null) return true;
        try {
          const response = await fetch(`http://127.0.0.1:${port}/healthz`);
          body = await response.text();
          return response.ok;
        } catch {
          return false;
        }
      },
      60_000,
      200,
    );
    expect({ healthy, exitCode: child.exitCode, output: child.exitCode === null ? '' : output }).toEqual({
      healthy: true,
      exitCode: null,
      output: '',
    });
    expect(body).toBe('ok');
    const login = await fetch(`http://127.0.0.1:${port}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('name="token"');

    const [line] = output.trim().split('\n');
    expect(JSON.parse(line)).toMatchObject({ level: 'info', service: 'console', url: `http://127.0.0.1:${port}` });

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});
