import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { commonV1, GrpcServices, importModelVersionRequests, type registryV1 } from '@flywheel/contracts';
import { DESCRIPTION_METADATA_KEY } from '@flywheel/onnx';
import { createGrpcClient, type GrpcClient, type RunningService } from '@flywheel/platform';
import { grpcError, runFlywheel, type ServiceInfrastructure, startServiceInfrastructure } from '@flywheel/testing';
import { startRegistryService } from '../registry.app';
import { type RegistryConfig } from '../registry.config';

// Graphs as skl2onnx and onnxmltools write them, with their holdouts: libs/onnx/fixtures.
jest.setTimeout(180_000);

const fixtures = join(__dirname, '../../../../libs/onnx/fixtures');
const onnxFile = (name: string) => readFileSync(join(fixtures, `${name}.onnx`));
const holdoutFile = (name: string) => readFileSync(join(fixtures, `${name}-holdout.csv`));

type Client = GrpcClient<registryV1.RegistryServiceController>;
const FEATURES = ['f0', 'f1', 'f2', 'f3'];

describe('ImportModelVersion: ONNX graphs trained elsewhere become versions', () => {
  let infra: ServiceInfrastructure;
  let service: RunningService<RegistryConfig>;
  const clients: Client[] = [];
  let writer: Client;
  let reader: Client;

  const client = (token?: string): Client => {
    const c = createGrpcClient<registryV1.RegistryServiceController>(GrpcServices.registry, { address: service.grpcAddress, token });
    clients.push(c);
    return c;
  };

  function importVersion(
    as: Client,
    header: Partial<registryV1.ImportModelVersionHeader> & { modelName: string },
    onnx: Uint8Array,
    holdout: Uint8Array,
  ): Promise<registryV1.ImportModelVersionResponse> {
    const requests = importModelVersionRequests(
      { features: [], label: 'label', metric: '', featureView: '', dataset: '', ...header },
      onnx,
      holdout,
    );
    return as.sendStream('importModelVersion', requests);
  }

  beforeAll(async () => {
    infra = await startServiceInfrastructure();
    service = await startRegistryService(await infra.serviceEnv('registry'));
    writer = client(infra.tokens.writer);
    reader = client(infra.tokens.reader);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await service?.shutdown('test finished');
    await infra?.stop();
  });

  it('registers an XGBoost graph as v1: scored on its holdout, profiled, stored without its ZipMap, promoted as the first version', async () => {
    const imported = await importVersion(
      writer,
      { modelName: 'fraud', features: FEATURES },
      onnxFile('xgboost-classifier'),
      holdoutFile('xgboost-classifier'),
    );
    expect(imported.promotion).toBe('promoted');
    const version = imported.version!;
    expect(version).toMatchObject({
      modelName: 'fraud',
      version: 1,
      task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
      algorithm: commonV1.Algorithm.ALGORITHM_ONNX,
      metric: 'roc_auc',
      aliases: ['production'],
      holdout: { rowCount: 200, labelColumn: 'label' },
      lineage: { features: FEATURES, label: 'label' },
    });
    expect(version.metrics.rocAuc).toBeGreaterThan(0.8);
    expect(version.metrics.accuracy).toBeGreaterThan(0.7);
    const profile = version.lineage!.trainingProfile!;
    expect([profile.rowCount, profile.columns.map((c) => c.name)]).toEqual([200, FEATURES]);
    expect(profile.columns[0].numeric?.histogramCounts.reduce((a, b) => a + b, 0)).toBe(200);

    const chunk = (await reader.readModelArtifact({ modelName: 'fraud', version: 1, offset: 0, maxBytes: 0 })).chunk!;
    expect(chunk.object).toMatchObject({ contentType: 'application/onnx', sha256: version.artifact!.sha256 });
    expect(Buffer.from(chunk.data).includes(Buffer.from(DESCRIPTION_METADATA_KEY))).toBe(true);
  });

  it('judges a second graph against the ONNX champion on the challenger’s holdout, and audits the comparison', async () => {
    // The forest's own rows, its columns named as the champion's features, so both can score them.
    const [, ...rows] = holdoutFile('random-forest-classifier').toString('utf8').split('\n');
    const holdout = Buffer.from([[...FEATURES, 'label'].join(','), ...rows].join('\n'));
    const imported = await importVersion(writer, { modelName: 'fraud', features: FEATURES }, onnxFile('random-forest-classifier'), holdout);
    expect(imported.version!.version).toBe(2);
    // The XGBoost champion never saw rows like the forest's: on them the forest is far better.
    expect(imported.promotion).toBe('promoted');
    const audit = await reader.listAuditLog({ modelName: 'fraud', action: 0, page: undefined });
    const judged = audit.entries.find((e) => e.version === 2 && e.comparison);
    expect(judged?.comparison).toMatchObject({ metric: 'roc_auc', holdout: { rowCount: 200 } });
    // Both sides were scored on the challenger's rows by the ONNX runtime.
    const { championValue, challengerValue } = judged!.comparison!;
    expect(challengerValue).toBeCloseTo(imported.version!.metrics.rocAuc, 12);
    expect(championValue).toBeGreaterThan(0);
    expect(championValue).toBeLessThan(challengerValue - 0.2);
    expect((await reader.getModel({ name: 'fraud' })).model!.aliases).toEqual({ production: 2 });
  });

  it('takes feature names from one input per column, and string class labels', async () => {
    const imported = await importVersion(
      writer,
      { modelName: 'churn-lr', metric: 'accuracy' },
      onnxFile('logistic-regression-scaled'),
      holdoutFile('logistic-regression-scaled'),
    );
    expect(imported.version).toMatchObject({ version: 1, metric: 'accuracy', lineage: { features: ['age', 'income', 'tenure'] } });
    expect(imported.version!.metrics.accuracy).toBeGreaterThan(0.6);
  });

  it('refuses the same graph again, naming the version it already is', async () => {
    const again = await grpcError(
      importVersion(writer, { modelName: 'fraud', features: FEATURES }, onnxFile('xgboost-classifier'), holdoutFile('xgboost-classifier')),
    );
    expect([again.code, again.details]).toEqual([status.ALREADY_EXISTS, expect.stringContaining('already version 1 of model "fraud"')]);
  });

  it('refuses hostile and unsupported input with INVALID_ARGUMENT naming the part, and registers nothing', async () => {
    const holdout = holdoutFile('xgboost-classifier');
    const cases: [Promise<unknown>, RegExp][] = [
      [
        importVersion(writer, { modelName: 'bad', features: FEATURES }, onnxFile('bad-unsupported-op'), holdout),
        /onnx: .*TfIdfVectorizer is not supported/,
      ],
      [importVersion(writer, { modelName: 'bad' }, onnxFile('bad-input-rank'), holdout), /onnx: input "\S+" has rank 3/],
      [
        importVersion(writer, { modelName: 'bad', features: FEATURES }, onnxFile('bad-string-input'), holdout),
        /onnx: onnxruntime cannot load the graph/,
      ],
      [
        importVersion(writer, { modelName: 'bad', features: ['a', 'b'] }, onnxFile('xgboost-classifier'), holdout),
        /features: 2 names given/,
      ],
      [
        importVersion(writer, { modelName: 'bad', features: FEATURES, label: 'nope' }, onnxFile('xgboost-classifier'), holdout),
        /header.label: the holdout has no column "nope"/,
      ],
      [
        importVersion(writer, { modelName: 'bad', features: FEATURES }, Buffer.from('not a model at all'), holdout),
        /onnx: not an ONNX model/,
      ],
      [importVersion(writer, { modelName: 'Bad Name', features: FEATURES }, onnxFile('xgboost-classifier'), holdout), /header.model_name/],
    ];
    for (const [call, reason] of cases) {
      const error = await grpcError(call);
      expect([error.code, error.details]).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(reason)]);
    }
    expect((await grpcError(reader.getModel({ name: 'bad' }))).code).toBe(status.NOT_FOUND);
  });

  it('refuses a declared 1 GiB file before reading it, and a stream that sends more than it declared', async () => {
    const huge = grpcError(
      writer.sendStream('importModelVersion', [
        { header: { modelName: 'big', features: FEATURES, label: 'label', onnxSizeBytes: 1024 ** 3, holdoutSizeBytes: 10 } },
      ]),
    );
    expect([(await huge).code, (await huge).details]).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/header.onnx_size_bytes: the file is 1073741824 bytes, over MODEL_IMPORT_MAX_BYTES/),
    ]);
    const lying = await grpcError(
      writer.sendStream('importModelVersion', [
        { header: { modelName: 'big', features: FEATURES, label: 'label', onnxSizeBytes: 10, holdoutSizeBytes: 10 } },
        { onnxChunk: Buffer.alloc(11) },
      ]),
    );
    expect([lying.code, lying.details]).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringContaining('more than the 10 bytes onnx_size_bytes declared'),
    ]);
  });

  it('flywheel models import sends a graph and its holdout and prints the version it became', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'flywheel-import-'));
    try {
      const holdout = join(folder, 'holdout.csv');
      writeFileSync(holdout, holdoutFile('gradient-boosting-regressor'));
      const flywheel = (...args: string[]) =>
        runFlywheel([...args, '--address', service.grpcAddress], { FLYWHEEL_TOKEN: infra.tokens.writer });
      const imported = await flywheel(
        'models',
        'import',
        'house-prices',
        '--onnx',
        join(fixtures, 'gradient-boosting-regressor.onnx'),
        '--features',
        'sqft,rooms,age,distance,floor',
        '--holdout',
        holdout,
        '--label',
        'label',
      );
      expect([imported.code, imported.stderr]).toEqual([0, '']);
      expect(imported.stdout).toMatch(/house-prices\s+1\s+sqft,rooms,age,distance,floor\s+200\s+[\d.]+\s+promoted/);

      // A 1 GiB file (sparse: nothing is written or read) is refused from its declared size.
      const huge = join(folder, 'huge.onnx');
      writeFileSync(huge, '');
      truncateSync(huge, 1024 ** 3);
      const refused = await flywheel('models', 'import', 'house-prices', '--onnx', huge, '--holdout', holdout, '--label', 'label');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/header.onnx_size_bytes: the file is 1073741824 bytes, over MODEL_IMPORT_MAX_BYTES/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('needs the write role', async () => {
    const denied = await grpcError(
      importVersion(reader, { modelName: 'fraud', features: FEATURES }, onnxFile('xgboost-classifier'), holdoutFile('xgboost-classifier')),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    const anonymous = await grpcError(
      importVersion(
        client(),
        { modelName: 'fraud', features: FEATURES },
        onnxFile('xgboost-classifier'),
        holdoutFile('xgboost-classifier'),
      ),
    );
    expect(anonymous.code).toBe(status.UNAUTHENTICATED);
  });
});
