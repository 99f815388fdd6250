import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { assertToolAvailable } from '@flywheel/test-kit';
import { type EchoHarness, startEchoService, unary } from '../testing/echo-harness';

describe('gRPC over TLS', () => {
  let certDir: string;
  let harness: EchoHarness;

  beforeAll(async () => {
    assertToolAvailable('openssl', ['version'], 'apt-get install openssl');
    certDir = mkdtempSync(join(tmpdir(), 'flywheel-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(certDir, 'key.pem'),
        '-out',
        join(certDir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    harness = await startEchoService({
      env: { TLS_CERT_FILE: join(certDir, 'cert.pem'), TLS_KEY_FILE: join(certDir, 'key.pem') },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it('serves calls over TLS when TLS_CERT_FILE and TLS_KEY_FILE are set', async () => {
    const tls = credentials.createSsl(readFileSync(join(certDir, 'cert.pem')));
    const client = harness.client(tls, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' });
    const result = await unary(client, 'echo', { text: 'secure' }, { token: harness.tokens.reader });
    expect(result).toMatchObject({ code: GrpcStatus.OK, value: { text: 'secure' } });
  });

  it('does not answer a plaintext client', async () => {
    const result = await unary(harness.client(), 'echo', { text: 'plain' }, { token: harness.tokens.reader, deadlineMs: 3000 });
    expect(result.code).toBe(GrpcStatus.UNAVAILABLE);
  });
});
