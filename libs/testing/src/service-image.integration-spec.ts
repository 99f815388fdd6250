import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { eventually } from '@flywheel/test-kit';
import { layOutServiceImage, readServiceDockerfile } from './service-image';
import { startServiceInfrastructure, type ServiceInfrastructure } from './service-infrastructure';

// No Docker engine is needed to prove what the image does: the runtime stage's files are laid
// out by the same step in a folder of their own, then its CMD is started with plain node — no
// TypeScript loader, no sources, no development dependency within reach — against real
// PostgreSQL, the Kafka-protocol broker and the S3 store.

const SERVICE = 'registry';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe(`the ${SERVICE} image's runtime layout`, () => {
  let infrastructure: ServiceInfrastructure;
  let image: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    image = mkdtempSync(join(tmpdir(), `flywheel-image-${SERVICE}-`));
    [infrastructure] = await Promise.all([startServiceInfrastructure(), layOutServiceImage(SERVICE, image)]);
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    await infrastructure?.stop();
    if (image) rmSync(image, { recursive: true, force: true });
  }, 60_000);

  it('holds compiled JavaScript only: the service, the libraries it imports and proto/', () => {
    const files = filesUnder(join(image, 'dist'));
    expect(files).toContain(`services/${SERVICE}/src/main.js`);
    expect(files.filter((file) => /\.(ts|tsx|mts|cts)$/.test(file))).toEqual([]);
    expect(readdirSync(join(image, 'dist'))).toEqual(expect.arrayContaining(['libs', 'node_modules', 'services']));
    expect(readdirSync(join(image, 'dist', 'services'))).toEqual([SERVICE]);
    // The registry reaches these libraries and no test or development tooling.
    expect(readdirSync(join(image, 'dist', 'libs')).sort()).toEqual([
      'contracts',
      'messaging',
      'ml',
      'onnx',
      'persistence',
      'platform',
      'storage',
    ]);
    // Files started by path, not imported (the ONNX runtime's process, the ML helper threads), are compiled too.
    expect(files).toEqual(
      expect.arrayContaining(['libs/onnx/src/runtime/onnx-runtime.process.js', 'libs/ml/src/models/helper-threads.worker.js']),
    );
    for (const lib of readdirSync(join(image, 'dist', 'libs'))) {
      const manifest = JSON.parse(readFileSync(join(image, 'dist', 'node_modules', '@flywheel', lib, 'package.json'), 'utf8')) as {
        main: string;
      };
      expect(existsSync(join(image, 'dist', 'node_modules', '@flywheel', lib, manifest.main))).toBe(true);
      expect(manifest.main).toMatch(/\.js$/);
    }
    expect(existsSync(join(image, 'proto', 'buf.yaml'))).toBe(true);
    expect(existsSync(join(image, 'node_modules', '@swc-node'))).toBe(false);
    expect(existsSync(join(image, 'node_modules', 'typescript'))).toBe(false);
  });

  it("starts from the Dockerfile's CMD with plain node and answers /healthz ok", async () => {
    const { stages } = readServiceDockerfile(SERVICE);
    const runtime = stages[stages.length - 1];
    const [program, ...args] = JSON.parse(runtime.instructions.find((i) => i.keyword === 'CMD')!.args) as string[];
    expect(program).toBe('node');

    const env = await infrastructure.serviceEnv(SERVICE);
    // Only what the image's ENV and docker-compose.yml set: nothing inherited, no NODE_OPTIONS.
    child = spawn(process.execPath, args, {
      cwd: image,
      env: { ...env, PATH: process.env.PATH, NODE_ENV: 'production', FLYWHEEL_PROTO_ROOT: join(image, 'proto') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    let report: { status?: string } = {};
    const healthy = await eventually(
      async () => {
        if (child!.exitCode !== null) return true;
        try {
          const response = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/healthz`);
          report = (await response.json()) as { status?: string };
          return response.ok;
        } catch {
          return false;
        }
      },
      90_000,
      250,
    );
    expect({ healthy, exitCode: child.exitCode, output: child.exitCode === null ? '' : output }).toEqual({
      healthy: true,
      exitCode: null,
      output: '',
    });
    expect(report.status).toBe('ok');
  }, 120_000);
});
