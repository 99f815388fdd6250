import { type Readable } from 'node:stream';
import { registryV1 } from '@flywheel/contracts';
import { evaluateModel, fitModel, loadModel, parseCsv, tableToCsv } from '@flywheel/ml';
import { exportModel, inspectOnnx } from '@flywheel/onnx';
import {
  IntegrityError,
  type ObjectInfo,
  type ObjectKey,
  ObjectNotFoundError,
  ObjectStore,
  type ObjectSummary,
  type PutResult,
  sha256Hex,
} from '@flywheel/storage';
import { claimsTable, withCorruptedLabels } from '../testing/run-fixtures';
import { OnnxRuntimeHost } from '../imports/onnx-runtime.host';
import { ComparisonUnavailable, ObjectStoreHoldoutScorer } from './holdout-scorer';

/** Objects in memory, checked against the expected sha256 on read as the real store does. */
class MemoryObjectStore extends ObjectStore {
  readonly objects = new Map<string, Buffer>();
  failNextRead: Error | undefined;

  async ensureBucket(): Promise<void> {}
  async put(key: ObjectKey, body: Buffer | Readable): Promise<PutResult> {
    const bytes = body as Buffer;
    this.objects.set(key, bytes);
    return { key, sha256: sha256Hex(bytes), size: bytes.length, etag: '' };
  }
  async get(key: ObjectKey, options: { expectedSha256: string }): Promise<Buffer> {
    const failure = this.failNextRead;
    this.failNextRead = undefined;
    if (failure) throw failure;
    const bytes = this.objects.get(key);
    if (!bytes) throw new ObjectNotFoundError(key);
    const actual = sha256Hex(bytes);
    if (actual !== options.expectedSha256) throw new IntegrityError(key, options.expectedSha256, actual);
    return bytes;
  }
  getStream(): Promise<Readable> {
    throw new Error('not used');
  }
  getRange(): never {
    throw new Error('not used');
  }
  async stat(): Promise<ObjectInfo | undefined> {
    return undefined;
  }
  async list(): Promise<ObjectSummary[]> {
    return [];
  }
  async delete(key: ObjectKey): Promise<void> {
    this.objects.delete(key);
  }
}

describe('scoring champion and challenger on the challenger’s holdout', () => {
  const store = new MemoryObjectStore();
  const onnx = new OnnxRuntimeHost();
  const scorer = new ObjectStoreHoldoutScorer(store, onnx);
  afterAll(() => onnx.onModuleDestroy());

  async function version(number: number, artifact: object | string | Uint8Array, holdoutCsv: string): Promise<registryV1.ModelVersion> {
    const body = Buffer.from(
      artifact instanceof Uint8Array ? artifact : typeof artifact === 'string' ? artifact : JSON.stringify(artifact),
    );
    const model = await store.put(`models/fraud/${number}/model.json` as ObjectKey, body);
    const holdout = await store.put(`training-sets/claims-view/run-${number}/holdout.csv` as ObjectKey, Buffer.from(holdoutCsv));
    return registryV1.ModelVersion.fromPartial({
      modelName: 'fraud',
      version: number,
      artifact: { key: model.key, sha256: model.sha256 },
      holdout: { data: { key: holdout.key, sha256: holdout.sha256 }, rowCount: 300, labelColumn: 'y' },
    });
  }

  const good = fitModel({ table: claimsTable(600, 1), label: 'y', algo: 'logreg', seed: 7 });
  const noisy = fitModel({ table: withCorruptedLabels(claimsTable(600, 1), 2), label: 'y', algo: 'logreg', seed: 7 });
  const holdoutCsv = tableToCsv(claimsTable(300, 3));

  it('scores both models on exactly the holdout rows', async () => {
    const champion = await version(1, good, tableToCsv(claimsTable(50, 9)));
    const challenger = await version(2, noisy, holdoutCsv);
    const scores = await scorer.score(champion, challenger);
    expect(scores.rows).toBe(300);
    expect(scores.champion.rocAuc).toBeGreaterThan(0.85);
    expect(scores.challenger.rocAuc).toBeLessThan(0.65);
    expect(Object.keys(scores.champion).sort()).toEqual(Object.keys(scores.challenger).sort());
  });

  it('scores an imported ONNX champion on the challenger’s holdout as the model it was exported from scores there', async () => {
    // The graph as an import stores it: inspected, so it describes itself.
    const imported = inspectOnnx(exportModel(good)).bytes;
    const champion = await version(1, imported, tableToCsv(claimsTable(50, 9)));
    const challenger = await version(2, noisy, holdoutCsv);
    const scores = await scorer.score(champion, challenger);
    const native = evaluateModel(loadModel(good), parseCsv(holdoutCsv));
    for (const [metric, value] of Object.entries(native)) expect(scores.champion[metric]).toBeCloseTo(value, 9);
    expect(scores.challenger.rocAuc).toBeLessThan(0.65);
  });

  it('turns what no retry can fix into ComparisonUnavailable: tampered bytes, a missing object, no holdout, a bad artifact', async () => {
    const champion = await version(1, good, holdoutCsv);
    const challenger = await version(2, noisy, holdoutCsv);
    const tampered = { ...challenger, artifact: { ...challenger.artifact!, sha256: sha256Hex('something else') } };
    await expect(scorer.score(champion, tampered)).rejects.toThrow(ComparisonUnavailable);
    await expect(scorer.score(champion, tampered)).rejects.toThrow(/challenger v2 artifact: .*failed its integrity check/);

    const missing = {
      ...challenger,
      holdout: { ...challenger.holdout!, data: { ...challenger.holdout!.data!, key: 'training-sets/claims-view/gone/holdout.csv' } },
    };
    await expect(scorer.score(champion, missing)).rejects.toThrow(/holdout of v2: object .* does not exist/);

    await expect(scorer.score(champion, { ...challenger, holdout: undefined })).rejects.toThrow('v2 has no holdout to compare on');

    const broken = await version(3, '{"formatVersion": 99}', holdoutCsv);
    await expect(scorer.score(champion, broken)).rejects.toThrow(/challenger v3 artifact models\/fraud\/3\/model.json cannot be loaded/);
  });

  it('says when the champion cannot score the challenger’s rows (a feature it needs is absent)', async () => {
    const champion = await version(1, good, holdoutCsv);
    const withoutX2 = tableToCsv(claimsTable(300, 3))
      .split('\n')
      .map((line) =>
        line
          .split(',')
          .filter((_, i) => i !== 1)
          .join(','),
      )
      .join('\n');
    const onlyX1 = fitModel({ table: claimsTable(600, 1), label: 'y', algo: 'logreg', features: ['x1'], seed: 7 });
    const challenger = await version(2, onlyX1, withoutX2);
    await expect(scorer.score(champion, challenger)).rejects.toThrow(/champion v1 cannot be scored on the holdout of v2/);
  });

  it('lets a transient storage failure through, so the event is retried', async () => {
    const champion = await version(1, good, holdoutCsv);
    const challenger = await version(2, noisy, holdoutCsv);
    store.failNextRead = new Error('connect ECONNREFUSED 127.0.0.1:9000');
    const attempt = scorer.score(champion, challenger);
    await expect(attempt).rejects.toThrow('ECONNREFUSED');
    await expect(attempt).rejects.not.toThrow(ComparisonUnavailable);
  });
});
