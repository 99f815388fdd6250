import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADMIN_TOKEN_FILE, envPrefix, removeDataFolder, SERVICES } from '@flywheel/embedded-platform';
import { runFlywheel } from '@flywheel/testing';
import { eventually } from '@flywheel/test-kit';
import { interrupt, npmStart, platformEnv, type RunningPlatform, waitForLine } from '../src/testing/platform-process';

// Models a team trained elsewhere, on `npm start`: ONNX graphs laid out as skl2onnx and
// onnxmltools write them (libs/onnx/fixtures, made by its Python script), imported with
// `flywheel models import`, deployed by the promotion policy as first versions, and asked for
// predictions through `flywheel predict` (gRPC Predict) and through curl (Open Inference
// Protocol REST, with the graph's own input tensor) — each answer the Python library's to 1e-5.
jest.setTimeout(600_000);

const FIXTURES = resolve(__dirname, '../../../onnx/fixtures');

interface Fixture {
  readonly features: string[];
  readonly task: 'binary' | 'regression';
  readonly classes?: (number | string)[];
  readonly inputs: { readonly name: string; readonly shape: (number | null)[] }[];
  readonly rows: (number | null)[][];
  readonly expected: { readonly probabilities?: number[][]; readonly values?: number[]; readonly labels?: (number | string)[] };
}

const MODELS = [
  { model: 'sensor-forest', fixture: 'random-forest-classifier', named: true },
  { model: 'churn-logistic', fixture: 'logistic-regression-scaled', named: false },
  { model: 'house-gbr', fixture: 'gradient-boosting-regressor', named: true },
  { model: 'fraud-xgb', fixture: 'xgboost-classifier', named: true },
] as const;

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
}

function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((done) =>
    execFile('curl', ['--silent', '--show-error', ...args], { timeout: 30_000 }, (error, stdout) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    ),
  );
}

describe('ONNX models trained elsewhere, imported and served (npm start)', () => {
  let running: RunningPlatform | undefined;
  let parent: string;
  let dataDir: string;
  let token: string;
  let deployerHttp: number;
  const cli: Record<string, string> = {};
  const flywheel = (...args: string[]) => runFlywheel(args, cli);

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'flywheel-onnx-'));
    dataDir = join(parent, 'data');
    const { env, services } = await platformEnv(dataDir);
    deployerHttp = services.deployer.http;
    running = npmStart(env);
    await waitForLine(running, /Flywheel is ready/, 300_000);
    token = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
    cli.FLYWHEEL_TOKEN = token;
    for (const service of SERVICES) cli[`${envPrefix(service)}_GRPC_ADDRESS`] = `127.0.0.1:${services[service].grpc}`;
  });

  afterAll(async () => {
    if (running) {
      interrupt(running);
      await running.exited;
    }
    if (dataDir) removeDataFolder(dataDir);
    if (parent) rmSync(parent, { recursive: true, force: true });
  });

  it('imports each graph as the first version of its model, promoted and deployed', async () => {
    for (const { model, fixture: name, named } of MODELS) {
      const f = fixture(name);
      const imported = await flywheel(
        ...['models', 'import', model, '--onnx', join(FIXTURES, `${name}.onnx`)],
        ...(named ? ['--features', f.features.join(',')] : []),
        ...['--holdout', join(FIXTURES, `${name}-holdout.csv`), '--label', 'label'],
      );
      expect([model, imported.code, imported.stderr]).toEqual([model, 0, '']);
      expect(imported.stdout).toMatch(new RegExp(`${model}\\s+1\\s+${f.features.join(',')}\\s+200\\s+[\\d.]+\\s+promoted`));
    }
    // The policy's auto-deploy: a deployment named after each model serves its v1.
    for (const { model } of MODELS) {
      let serving = '';
      await eventually(
        async () => /"stableVersion":\s*1/.test((serving = (await flywheel('deployments', 'status', model, '--json')).stdout)),
        60_000,
        1000,
      );
      expect([model, serving]).toEqual([model, expect.stringMatching(/"stableVersion":\s*1/)]);
    }
  });

  it('answers Predict with the Python library’s probabilities and values, row by row', async () => {
    for (const { model, fixture: name } of MODELS) {
      const f = fixture(name);
      for (const [i, row] of f.rows.slice(0, 8).entries()) {
        // A missing value (the XGBoost rows have some) is an explicit null.
        const features = f.features.map((feature, j) => `${feature}=${row[j] ?? 'null'}`).join(',');
        const answer = await flywheel('predict', model, '--features', features, '--json');
        expect([model, i, answer.code, answer.stderr]).toEqual([model, i, 0, '']);
        const response = JSON.parse(answer.stdout) as { output: Record<string, number | string>; probability?: number };
        if (f.task === 'regression') {
          const expected = f.expected.values![i];
          expect(Math.abs(Number(response.output.numberValue) - expected)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
        } else {
          expect(Math.abs(response.probability! - f.expected.probabilities![i][1])).toBeLessThan(1e-5);
          expect(String(Object.values(response.output)[0])).toBe(String(f.expected.labels![i]));
        }
      }
    }
  });

  it('answers curl on the Open Inference Protocol, fed the graph’s own input tensor', async () => {
    const { model, fixture: name } = MODELS[0];
    const f = fixture(name);
    const rows = f.rows.filter((r) => r.every((v) => v !== null));
    const input = f.inputs[0];
    const metadata = await curl(['-H', `Authorization: Bearer ${token}`, `http://127.0.0.1:${deployerHttp}/v2/models/${model}`]);
    expect(JSON.parse(metadata.stdout)).toMatchObject({ inputs: [{ name: input.name, datatype: 'FP32', shape: [-1, f.features.length] }] });
    const body = JSON.stringify({
      inputs: [{ name: input.name, shape: [rows.length, f.features.length], datatype: 'FP32', data: rows.flat() }],
    });
    const infer = await curl([
      ...['-H', `Authorization: Bearer ${token}`, '-H', 'Content-Type: application/json'],
      ...['-d', body, `http://127.0.0.1:${deployerHttp}/v2/models/${model}/infer`],
    ]);
    expect(infer.code).toBe(0);
    const outputs = (JSON.parse(infer.stdout) as { outputs: { name: string; data: (number | string)[] }[] }).outputs;
    const probabilities = outputs.find((o) => o.name === 'predict_proba')!.data as number[];
    const expected = f.rows.flatMap((r, i) => (r.every((v) => v !== null) ? [f.expected.probabilities![i]] : []));
    expect(probabilities).toHaveLength(expected.length * 2);
    expected.forEach((p, i) => {
      expect(Math.abs(probabilities[2 * i] - p[0])).toBeLessThan(1e-5);
      expect(Math.abs(probabilities[2 * i + 1] - p[1])).toBeLessThan(1e-5);
    });
  });

  it('refuses to export an imported version, which is already a graph, and says how to take it out', async () => {
    const exported = await flywheel('models', 'export', 'fraud-xgb', '1', '--out', join(parent, 'fraud.onnx'));
    expect(exported.code).not.toBe(0);
    expect(exported.stderr).toMatch(/fraud-xgb v1 is an imported ONNX graph: flywheel models download/);
  });
});
