import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { assertToolAvailable, DEBIAN_PYTHON } from '@flywheel/test-kit';
import { ECHO_SERVICE_FULL_NAME } from '../testing/echo-app';
import { type EchoHarness, startEchoService } from '../testing/echo-harness';

// Debian's python3-grpcio, a gRPC implementation we did not write, checks what grpcurl-style
// tools rely on: health, reflection listing and describing, and a call with a token.

const SCRIPT = join(__dirname, '..', 'testing', 'fixtures', 'grpc_surface_client.py');

function runPython(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(DEBIAN_PYTHON, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('gRPC surface seen by python3-grpcio', () => {
  let harness: EchoHarness;

  beforeAll(async () => {
    if (process.env.CI === 'true') {
      assertToolAvailable(DEBIAN_PYTHON, ['-c', 'import grpc'], 'apt-get install python3-grpcio');
    }
    harness = await startEchoService();
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('checks health, lists and describes services through reflection, calls a method with a token, and sends it garbage', async () => {
    const result = await runPython([harness.service.grpcAddress, harness.tokens.reader, ECHO_SERVICE_FULL_NAME]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const found = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(found.health).toEqual({ '': 'SERVING', [ECHO_SERVICE_FULL_NAME]: 'SERVING' });
    expect(found.services).toEqual(
      expect.arrayContaining([
        ECHO_SERVICE_FULL_NAME,
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
      ]),
    );
    expect(found.methods).toEqual(['Echo', 'Publish', 'Fail', 'Crash', 'Slow', 'Rename', 'Count', 'Collect']);
    expect(found.echo).toEqual({ text: 'from python', team: 'analysts' });
    expect(found.withoutToken).toBe('UNAUTHENTICATED');
    expect(found.garbage).toEqual({
      withToken: ['INVALID_ARGUMENT', '(request): is not a valid EchoRequest message: index out of range: 4 + 1 > 4'],
      withoutToken: ['UNAUTHENTICATED', 'missing API token: send metadata "authorization: Bearer <token>"'],
    });
  });
});
