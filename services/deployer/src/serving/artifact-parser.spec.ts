import { loadModel } from '@flywheel/ml';
import { deepTreesArtifact, fraudArtifact, testConfig } from '../testing/fakes';
import { WorkerArtifactParser } from './artifact-parser';
import { ArtifactRejectedError } from './artifact-rejected.error';

jest.setTimeout(60_000);

describe('WorkerArtifactParser', () => {
  let parser: WorkerArtifactParser;

  beforeAll(() => {
    parser = new WorkerArtifactParser(
      testConfig({ MODEL_ARTIFACT_MAX_BYTES: String(32 * 1024 * 1024), MODEL_ARTIFACT_WORKER_HEAP_MB: '64' }),
    );
  });

  afterAll(() => parser.onModuleDestroy());

  const row = { amount: 80, region: 'north' };

  it('parses an artifact on its thread into a model that predicts as the artifact does', async () => {
    const artifact = fraudArtifact({ seed: 3 });
    const model = await parser.parse(Buffer.from(JSON.stringify(artifact)));
    expect(model.predictRow(row)).toEqual(loadModel(artifact).predictRow(row));
    expect(model.signature.features.map((f) => f.name)).toEqual(['amount', 'region']);
  });

  it('parses bytes that share their buffer with others without taking it from them', async () => {
    const text = Buffer.from(JSON.stringify(fraudArtifact({ seed: 4 })));
    const shared = new Uint8Array(text.length + 10);
    shared.set(text, 5);
    const model = await parser.parse(shared.subarray(5, 5 + text.length));
    expect(model.task).toBe('binary');
    expect(shared.byteLength).toBe(text.length + 10);
  });

  it('rejects garbage, malformed and over-limit artifacts with the reason', async () => {
    const rejection = (bytes: Uint8Array) => parser.parse(bytes).catch((error: Error) => error);
    const garbage = await rejection(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00]));
    expect(garbage).toBeInstanceOf(ArtifactRejectedError);
    expect((garbage as Error).message).toBe('artifact rejected: invalid model artifact: $: is not UTF-8 text');
    expect(((await rejection(Buffer.from('{"formatVersion":1,'))) as Error).message).toMatch(
      /^artifact rejected: model artifact is not valid JSON/,
    );
    expect(((await rejection(deepTreesArtifact(1, 600))) as Error).message).toBe(
      'artifact rejected: model artifact over its limits: model.trees[0]: tree depth 600, over the limit of 512 (maxTreeDepth)',
    );
  });

  it('rejects an artifact that would outgrow the thread heap before parsing it, with the reason, then parses the next one', async () => {
    // 20 MB of small arrays of zeros, within every bound on one piece, but 80 MB once parsed: a
    // parse past the heap limit may abort the whole process, so it is refused from its tokens.
    const rows = new Array(10_000).fill(`[${new Array(1_000).fill(0).join(',')}]`);
    const huge = Buffer.from(`{"formatVersion": 1, "padding": [${rows.join(',')}]}`);
    const rejected = await parser.parse(huge).catch((error: Error) => error);
    expect(rejected).toBeInstanceOf(ArtifactRejectedError);
    expect((rejected as Error).message).toMatch(
      /^artifact rejected: invalid model artifact: \$: would take more than \d+ MiB once parsed \(at byte \d+ of 20\d{6}\)$/,
    );
    const model = await parser.parse(Buffer.from(JSON.stringify(fraudArtifact({ seed: 5 }))));
    expect(model.predictRow(row).prediction).toBeDefined();
  });
});
