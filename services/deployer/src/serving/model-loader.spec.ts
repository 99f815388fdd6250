import { type Readable } from 'node:stream';
import { type CompactModel, loadModel } from '@flywheel/ml';
import { type OnnxModel } from '@flywheel/onnx';
import {
  type GetOptions,
  type ObjectInfo,
  type ObjectKey,
  ObjectNotFoundError,
  ObjectStore,
  type ObjectSummary,
  ObjectTooLargeError,
  modelArtifactKey,
  sha256Hex,
} from '@flywheel/storage';
import { type ModelVersionRecord } from '../deployments/deployment';
import { fraudArtifact, testConfig } from '../testing/fakes';
import { onnxFixture } from '../testing/onnx-fixtures';
import { ArtifactParser } from './artifact-parser';
import { ArtifactRejectedError } from './artifact-rejected.error';
import { ObjectStoreModelLoader } from './model-loader';
import { OnnxGraphs } from './onnx-graphs';
import { type ServableModel } from './servable-model';

/** One object whose stated size can lie; reads honour maxBytes as the S3 store does, and are recorded. */
class OneObjectStore extends ObjectStore {
  statedSize: number | undefined;
  readonly reads: GetOptions[] = [];

  constructor(private readonly body: Buffer) {
    super();
  }

  async stat(key: ObjectKey): Promise<ObjectInfo | undefined> {
    if (this.statedSize === undefined) return undefined;
    return { key, size: this.statedSize, etag: '', lastModified: new Date(0), contentType: 'application/json', metadata: {} };
  }

  async get(key: ObjectKey, options: GetOptions): Promise<Buffer> {
    this.reads.push(options);
    if (options.maxBytes !== undefined && this.body.length > options.maxBytes) throw new ObjectTooLargeError(key, options.maxBytes);
    return this.body;
  }

  ensureBucket(): Promise<void> {
    throw new Error('not used');
  }
  getRange(): never {
    throw new Error('not used');
  }
  put(): never {
    throw new Error('not used');
  }
  getStream(): Promise<Readable> {
    throw new Error('not used');
  }
  list(): Promise<ObjectSummary[]> {
    throw new Error('not used');
  }
  delete(): Promise<void> {
    throw new Error('not used');
  }
}

/** Loads graphs into a real ONNX runtime; counts what reached it. */
class CountingGraphs extends OnnxGraphs {
  loaded = 0;

  override load(bytes: Uint8Array): Promise<OnnxModel> {
    this.loaded++;
    return super.load(bytes);
  }
}

/** Parses in the caller's thread; counts what reached it. */
class CountingParser extends ArtifactParser {
  parsed = 0;

  async parse(bytes: Uint8Array): Promise<CompactModel> {
    this.parsed++;
    return loadModel(Buffer.from(bytes).toString('utf8'));
  }
}

describe('ObjectStoreModelLoader', () => {
  const body = Buffer.from(JSON.stringify(fraudArtifact({ seed: 1 })));
  const version: ModelVersionRecord = {
    modelName: 'fraud',
    version: 1,
    artifactKey: modelArtifactKey('fraud', 1, 'model.json'),
    artifactSha256: sha256Hex(body),
    artifactSizeBytes: body.length,
    featureView: '',
    recordedAt: new Date(0),
  };
  let store: OneObjectStore;
  let parser: CountingParser;
  const graphs = new CountingGraphs(testConfig());
  const loader = (maxBytes = body.length) =>
    new ObjectStoreModelLoader(store, parser, graphs, testConfig({ MODEL_ARTIFACT_MAX_BYTES: String(maxBytes) }));

  beforeEach(() => {
    store = new OneObjectStore(body);
    store.statedSize = body.length;
    parser = new CountingParser();
    graphs.loaded = 0;
  });

  afterAll(() => graphs.onModuleDestroy());

  it('reads an artifact within MODEL_ARTIFACT_MAX_BYTES, bounded by it and checked against its sha256, and parses it', async () => {
    const model = await loader().load(version);
    expect(model.task).toBe('binary');
    expect(store.reads).toEqual([{ expectedSha256: version.artifactSha256, maxBytes: body.length }]);
  });

  it('refuses an artifact the registry records as too large without touching the store', async () => {
    const load = loader(body.length - 1).load(version);
    await expect(load).rejects.toThrow(ArtifactRejectedError);
    await expect(load).rejects.toThrow(
      `artifact rejected: models/fraud/1/model.json is ${body.length} bytes, over MODEL_ARTIFACT_MAX_BYTES (${body.length - 1})`,
    );
    expect(store.reads).toEqual([]);
  });

  it('refuses an object the store states as too large before downloading it, whatever the registry recorded', async () => {
    store.statedSize = 300 * 1024 * 1024;
    await expect(loader().load(version)).rejects.toThrow(`is ${300 * 1024 * 1024} bytes, over MODEL_ARTIFACT_MAX_BYTES`);
    expect(store.reads).toEqual([]);
    expect(parser.parsed).toBe(0);
  });

  it('stops an object that proves larger than it stated while it is read', async () => {
    // Registry and store both say the object fits; its bytes do not.
    const lying = { ...version, artifactSizeBytes: 10 };
    store.statedSize = 10;
    await expect(loader(100).load(lying)).rejects.toThrow(
      'artifact rejected: models/fraud/1/model.json is more than 100 bytes, over MODEL_ARTIFACT_MAX_BYTES (100)',
    );
    expect(store.reads).toEqual([{ expectedSha256: version.artifactSha256, maxBytes: 100 }]);
    expect(parser.parsed).toBe(0);
  });

  it('reports a missing object as such: no verdict on the artifact, the load may be retried', async () => {
    store.statedSize = undefined;
    const load = loader().load(version);
    await expect(load).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(load).rejects.not.toBeInstanceOf(ArtifactRejectedError);
  });

  describe('by what the bytes are', () => {
    /** Loads `bytes` as `fraud` v1, recorded as the registry would, from a store that holds them. */
    function load(bytes: Buffer, maxBytes = bytes.length): Promise<ServableModel> {
      store = new OneObjectStore(bytes);
      store.statedSize = bytes.length;
      return loader(maxBytes).load({ ...version, artifactSha256: sha256Hex(bytes), artifactSizeBytes: bytes.length });
    }

    it('parses a Flywheel artifact, JSON even after leading whitespace, and starts no ONNX runtime for it', async () => {
      const padded = Buffer.concat([Buffer.from(' \r\n\t'), body]);
      const model = await load(padded);
      expect(model.task).toBe('binary');
      expect(model.signature.features.map((f) => f.name)).toEqual(['amount', 'region']);
      expect([parser.parsed, graphs.loaded]).toEqual([1, 0]);
    });

    it('loads anything else as an ONNX graph, with the same bounds and checksum, described by the graph itself', async () => {
      const fixture = onnxFixture('random-forest-classifier');
      const model = await load(fixture.stored);
      try {
        expect([parser.parsed, graphs.loaded]).toEqual([0, 1]);
        expect(store.reads).toEqual([{ expectedSha256: sha256Hex(fixture.stored), maxBytes: fixture.stored.length }]);
        expect(model.task).toBe('binary');
        expect(model.classes).toEqual(fixture.classes);
        expect(model.signature.features.map((f) => f.name)).toEqual(fixture.features);
        const row = Object.fromEntries(fixture.features.map((f, j) => [f, fixture.rows[0]![j]!]));
        const { probabilities } = await model.predictRow(row);
        expect(Math.abs(probabilities![1]! - fixture.expected.probabilities![0]![1]!)).toBeLessThan(1e-5);
      } finally {
        await model.release?.();
      }
    });

    it('bounds an ONNX graph by MODEL_ARTIFACT_MAX_BYTES before it reaches the runtime', async () => {
      const fixture = onnxFixture('random-forest-classifier');
      await expect(load(fixture.stored, fixture.stored.length - 1)).rejects.toThrow(
        `artifact rejected: models/fraud/1/model.json is ${fixture.stored.length} bytes, over MODEL_ARTIFACT_MAX_BYTES`,
      );
      expect([parser.parsed, graphs.loaded]).toEqual([0, 0]);
    });

    it('rejects for good what is neither: bytes that are not an ONNX graph, or a graph stored without its description', async () => {
      const garbage = Buffer.from('model weights, honestly');
      await expect(load(garbage)).rejects.toThrow(/^artifact rejected: ONNX graph: not an ONNX model/);
      // As a team brings it, the forest's one input carries four columns that nothing names.
      const { original } = onnxFixture('random-forest-classifier');
      await expect(load(original)).rejects.toThrow(
        'artifact rejected: ONNX graph: input "float_input" has 4 columns: name the features it carries, in order',
      );
      expect(parser.parsed).toBe(0);
    });
  });
});
