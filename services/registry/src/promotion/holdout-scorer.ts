import { Inject, Injectable } from '@nestjs/common';
import { type commonV1, type registryV1 } from '@flywheel/contracts';
import { evaluateBatch, evaluateModel, type LoadedModel, loadModel, parseCsv, type Table } from '@flywheel/ml';
import { artifactKind, OnnxModel } from '@flywheel/onnx';
import { ObjectStore, parseObjectKey, StorageException } from '@flywheel/storage';
import { OnnxRuntimeHost } from '../imports/onnx-runtime.host';

/** A version ready to score: a Flywheel model, or an imported ONNX graph. */
type Scorable = { readonly kind: 'native'; readonly model: LoadedModel } | { readonly kind: 'onnx'; readonly model: OnnxModel };

/**
 * The comparison cannot be made, and trying again will not change that (no holdout, a failed
 * integrity check, an artifact or CSV that does not parse, a model that cannot score the rows).
 * The policy turns it into a refusal with this message as its reason.
 */
export class ComparisonUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ComparisonUnavailable';
  }
}

/** Both models' metrics on the very same rows: the challenger's holdout. */
export interface HoldoutScores {
  readonly rows: number;
  readonly champion: Readonly<Record<string, number>>;
  readonly challenger: Readonly<Record<string, number>>;
}

/** Scores champion and challenger on the challenger's holdout. A port, so the policy is testable without S3. */
export abstract class HoldoutScorer {
  abstract score(champion: registryV1.ModelVersion, challenger: registryV1.ModelVersion): Promise<HoldoutScores>;
}

/**
 * Reads both artifacts and the holdout CSV from the object store, each checked against the
 * sha256 recorded with it, loads the models as data (nothing in an artifact runs) and scores
 * both with `evaluateModel`. Transient storage failures are thrown as they are, so the event
 * is retried; everything that would fail again is a {@link ComparisonUnavailable}.
 */
@Injectable()
export class ObjectStoreHoldoutScorer extends HoldoutScorer {
  constructor(
    @Inject(ObjectStore) private readonly store: ObjectStore,
    @Inject(OnnxRuntimeHost) private readonly onnx: OnnxRuntimeHost,
  ) {
    super();
  }

  async score(champion: registryV1.ModelVersion, challenger: registryV1.ModelVersion): Promise<HoldoutScores> {
    const holdout = challenger.holdout;
    if (!holdout?.data?.key || !holdout.data.sha256) {
      throw new ComparisonUnavailable(`v${challenger.version} has no holdout to compare on`);
    }
    const [championModel, challengerModel, table] = await Promise.all([
      this.loadVersion(champion, 'champion'),
      this.loadVersion(challenger, 'challenger'),
      this.loadHoldout(holdout.data, challenger.version),
    ]);
    try {
      const label = holdout.labelColumn;
      return {
        rows: table.nRows,
        champion: await evaluate(championModel, table, label, `champion v${champion.version}`, challenger.version),
        challenger: await evaluate(challengerModel, table, label, `challenger v${challenger.version}`, challenger.version),
      };
    } finally {
      for (const scorable of [championModel, challengerModel]) if (scorable.kind === 'onnx') await scorable.model.release();
    }
  }

  private async loadVersion(version: registryV1.ModelVersion, role: string): Promise<Scorable> {
    const what = `${role} v${version.version} artifact`;
    if (!version.artifact?.key || !version.artifact.sha256) throw new ComparisonUnavailable(`${what} is not recorded`);
    const bytes = await this.read(version.artifact, what);
    try {
      if (artifactKind(bytes) === 'flywheel') return { kind: 'native', model: loadModel(bytes.toString('utf8')) };
      return { kind: 'onnx', model: await OnnxModel.load(this.onnx.runtime, bytes) };
    } catch (error) {
      throw new ComparisonUnavailable(`${what} ${version.artifact.key} cannot be loaded: ${(error as Error).message}`);
    }
  }

  private async loadHoldout(ref: commonV1.ObjectRef, version: number): Promise<Table> {
    const what = `holdout of v${version}`;
    const bytes = await this.read(ref, what);
    try {
      return parseCsv(bytes);
    } catch (error) {
      throw new ComparisonUnavailable(`${what} ${ref.key} is not a readable CSV: ${(error as Error).message}`);
    }
  }

  private async read(ref: commonV1.ObjectRef, what: string): Promise<Buffer> {
    try {
      return await this.store.get(parseObjectKey(ref.key), { expectedSha256: ref.sha256 });
    } catch (error) {
      // Bad key, missing object, bytes that are not the recorded ones: no retry fixes those.
      if (error instanceof StorageException) throw new ComparisonUnavailable(`${what}: ${error.message}`);
      throw error;
    }
  }
}

async function evaluate(scorable: Scorable, table: Table, label: string, who: string, holdoutOf: number): Promise<Record<string, number>> {
  try {
    if (scorable.kind === 'native') return evaluateModel(scorable.model, table);
    const { model } = scorable;
    return evaluateBatch({ task: model.task, label, classes: model.classes }, table, await model.predictTable(table));
  } catch (error) {
    throw new ComparisonUnavailable(`${who} cannot be scored on the holdout of v${holdoutOf}: ${(error as Error).message}`);
  }
}
