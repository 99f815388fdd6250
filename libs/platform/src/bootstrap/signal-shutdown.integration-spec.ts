import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoRoot } from '@flywheel/contracts';
import { freePort } from '@flywheel/test-kit';
import { issueToken } from '../auth/token-file';
import { Role } from '../auth/role';

// A service in its own process, stopped by a real signal: it must finish the call in flight,
// log its way down and exit 0.

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
const MAIN = join(__dirname, '..', 'testing', 'echo-main.ts');
const PROTO = join(__dirname, '..', 'testing', 'fixtures', 'echo.proto');

describe.each(['SIGTERM', 'SIGINT'] as const)('a service process receiving %s', (signal) => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flywheel-signal-'));
  });
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes the in-flight call, then exits 0', async () => {
    const tokensFile = join(dir, 'tokens.json');
    const { token } = issueToken(tokensFile, { team: 'ops', roles: [Role.Read] });
    const grpcPort = await freePort();
    child = spawn(process.execPath, ['-r', '@swc-node/register', MAIN], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        GRPC_PORT: String(grpcPort),
        HTTP_PORT: String(await freePort()),
        DATABASE_URL: 'postgres://flywheel@127.0.0.1:5433/flywheel_test',
        FLYWHEEL_TOKENS_FILE: tokensFile,
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
    });
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));

    const readyBy = Date.now() + 30_000;
    while (!lines.some((line) => line.msg === 'service ready')) {
      if (Date.now() > readyBy || child.exitCode !== null) throw new Error(`service did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const { EchoService } = (
      grpc.loadPackageDefinition(loadSync(PROTO, { includeDirs: [protoRoot()] })) as unknown as {
        flywheel: { platformtest: { v1: { EchoService: grpc.ServiceClientConstructor } } };
      }
    ).flywheel.platformtest.v1;
    const client = new EchoService(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    const inFlight = new Promise<{ error: grpc.ServiceError | null; text?: string }>((resolve) =>
      client.slow({ delayMs: 700 }, metadata, (error: grpc.ServiceError | null, reply?: { text: string }) =>
        resolve({ error, text: reply?.text }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill(signal);

    expect(await inFlight).toEqual({ error: null, text: 'slept 700 ms' });
    expect(await exited).toBe(0);
    client.close();
    const messages = lines.map((line) => line.msg);
    expect(messages).toEqual(expect.arrayContaining(['service ready', 'shutting down', 'service stopped']));
    expect(lines.find((line) => line.msg === 'shutting down')).toMatchObject({ reason: signal, service: 'echo' });
    expect(lines.every((line) => typeof line.time === 'string' && typeof line.level === 'string')).toBe(true);
  });
});
