import { type Readable } from 'node:stream';
import { type CompactModel, loadModel } from '@flywheel/ml';
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
import { ArtifactParser } from './artifact-parser';
import { ArtifactRejectedError } from './artifact-rejected.error';
import { ObjectStoreModelLoader } from './model-loader';

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
  const loader = (maxBytes = body.length) =>
    new ObjectStoreModelLoader(store, parser, testConfig({ MODEL_ARTIFACT_MAX_BYTES: String(maxBytes) }));

  beforeEach(() => {
    store = new OneObjectStore(body);
    store.statedSize = body.length;
    parser = new CountingParser();
  });

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
});
