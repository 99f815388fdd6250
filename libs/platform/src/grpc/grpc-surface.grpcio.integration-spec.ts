import { join } from 'node:path';
import { assertToolAvailable, DEBIAN_PYTHON, runDebianPython } from '@flywheel/test-kit';
import { ECHO_SERVICE_FULL_NAME } from '../testing/echo-app';
import { ECHO_PROTO_FILE_NAME } from '../testing/echo-descriptor-set';
import { type EchoHarness, startEchoService } from '../testing/echo-harness';
import { MAX_REFLECTION_NAME_LENGTH } from './reflection-service';

// Debian's python3-grpcio, a gRPC implementation we did not write, checks what grpcurl-style
// tools rely on: health, reflection listing and describing, and a call with a token; and with
// python3-protobuf, that reflected descriptors are ones protoc's own descriptor pool accepts.

const FIXTURES = join(__dirname, '..', 'testing', 'fixtures');

const runPython = (script: string, args: string[]) => runDebianPython(join(FIXTURES, script), args);

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
    const result = await runPython('grpc_surface_client.py', [harness.service.grpcAddress, harness.tokens.reader, ECHO_SERVICE_FULL_NAME]);
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

  it('builds a descriptor pool from reflection alone, as protoc-based clients do, and calls a method with a message made from it', async () => {
    const result = await runPython('grpc_reflection_client.py', [
      harness.service.grpcAddress,
      harness.tokens.reader,
      ECHO_SERVICE_FULL_NAME,
      'Echo',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const found = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(found.services).toEqual([
      ECHO_SERVICE_FULL_NAME,
      'flywheel.platformtest.v1.UnguardedService',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
    ]);
    expect(found.files).toEqual([ECHO_PROTO_FILE_NAME, 'flywheel/common/v1/options.proto', 'google/protobuf/descriptor.proto']);
    expect(found.methods).toEqual(['Echo', 'Publish', 'Fail', 'Crash', 'Slow', 'Rename', 'Count', 'Collect']);
    expect(found.ingestion).toEqual({
      file: 'flywheel/ingestion/v1/ingestion.proto',
      getDataset: ['flywheel.ingestion.v1.GetDatasetRequest', 'flywheel.ingestion.v1.GetDatasetResponse'],
      dependencies: [
        'flywheel/common/v1/common.proto',
        'flywheel/common/v1/options.proto',
        'google/protobuf/duration.proto',
        'google/protobuf/timestamp.proto',
      ],
    });
    expect(found.row).toEqual({
      mapEntry: true,
      jsonName: 'values',
      valueType: 'flywheel.common.v1.Value',
      roundTrip: { values: { amount: { numberValue: 12.5 }, country: { stringValue: 'FR' } } },
    });
    expect(found.reply).toEqual({
      text: 'built from reflection',
      team: 'analysts',
      token_id: expect.any(String),
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(found.extension).toEqual({ file: 'flywheel/common/v1/options.proto', numbers: [50001] });
    expect(found.errors).toEqual([
      [5, 'symbol not found: flywheel.nope.v1.Nothing'],
      [5, 'file not found: flywheel/nope/v1/nope.proto'],
      [5, `symbol not found: the name is 200000 bytes long, more than ${MAX_REFLECTION_NAME_LENGTH}`],
    ]);
    expect(found.afterErrors).toBe(true);
  });
});
