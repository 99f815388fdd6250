import { commonV1, trainerV1 } from '@flywheel/contracts';
import { fitModel, makeTable, numericColumn, type Table, tableToCsv } from '@flywheel/ml';
import { type ObjectStore, modelArtifactKey, trainingSetKey } from '@flywheel/storage';

/** A seeded uniform generator, so the test data is the same on every run. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Claims-like rows: fraud is likelier with a high x1 and x2; x2 carries half the signal. */
export function claimsTable(rows: number, seed: number): Table {
  const next = rng(seed);
  const x1: number[] = [];
  const x2: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < rows; i++) {
    const a = next() * 4 - 2;
    const b = next() * 4 - 2;
    x1.push(a);
    x2.push(b);
    y.push(a + b + (next() - 0.5) * 1.5 > 0 ? 1 : 0);
  }
  return makeTable([numericColumn('x1', x1), numericColumn('x2', x2), numericColumn('y', y)]);
}

/**
 * The same features with corrupted labels: they follow x1 − x2 instead of x1 + x2, as a
 * mislabelling pipeline would. A model learns that relation and ranks the true labels no
 * better than chance (shuffled labels are no good for this: the random fit of a shuffled set
 * can still rank well by luck, since ROC AUC only needs the direction).
 */
export function withCorruptedLabels(table: Table, seed: number): Table {
  const next = rng(seed);
  const x1 = numeric(table, 'x1');
  const x2 = numeric(table, 'x2');
  const y = x1.map((a, i) => (a - x2[i] + (next() - 0.5) * 1.5 > 0 ? 1 : 0));
  return makeTable([numericColumn('x1', x1), numericColumn('x2', x2), numericColumn('y', y)]);
}

function numeric(table: Table, name: string): number[] {
  const column = table.columns.find((c) => c.name === name);
  if (!column || column.type !== 'numeric') throw new Error(`${name} must be numeric`);
  return Array.from(column.values);
}

export interface StoredRun {
  readonly runId: string;
  readonly artifact: commonV1.ObjectRef;
  readonly metrics: Record<string, number>;
}

/** Fits a logistic regression with @flywheel/ml and stores its artifact as the trainer would. */
export async function storeModel(
  store: ObjectStore,
  model: string,
  runId: string,
  table: Table,
  features: readonly string[],
): Promise<StoredRun> {
  const artifact = fitModel({ table, label: 'y', algo: 'logreg', features, seed: 7 });
  const body = Buffer.from(JSON.stringify(artifact));
  const put = await store.put(modelArtifactKey(model, runId, 'model.json'), body, { contentType: 'application/json' });
  const validation = artifact.metrics.validation ?? {};
  return {
    runId,
    artifact: { key: put.key, sha256: put.sha256, sizeBytes: put.size, contentType: 'application/json' },
    metrics: { roc_auc: validation.rocAuc ?? 0, accuracy: validation.accuracy ?? 0 },
  };
}

export async function storeHoldout(store: ObjectStore, runId: string, table: Table): Promise<commonV1.Holdout> {
  const put = await store.put(trainingSetKey('claims-view', runId, 'holdout.csv'), Buffer.from(tableToCsv(table)), {
    contentType: 'text/csv',
  });
  return {
    data: { key: put.key, sha256: put.sha256, sizeBytes: put.size, contentType: 'text/csv' },
    eventTimeRange: { start: new Date('2025-03-01T00:00:00Z'), end: new Date('2025-04-01T00:00:00Z') },
    rowCount: table.nRows,
    labelColumn: 'y',
  };
}

/** The RunCompleted the trainer publishes for a stored model and holdout. */
export function runCompleted(
  model: string,
  run: StoredRun,
  holdout: commonV1.Holdout,
  features: readonly string[],
): trainerV1.RunCompleted {
  return trainerV1.RunCompleted.fromPartial({
    runId: run.runId,
    modelName: model,
    spec: {
      modelName: model,
      featureView: 'claims-view',
      features: [...features],
      label: 'y',
      task: commonV1.ModelTask.MODEL_TASK_BINARY_CLASSIFICATION,
      algorithm: commonV1.Algorithm.ALGORITHM_LOGISTIC_REGRESSION,
      metric: 'roc_auc',
    },
    params: { C: { numberValue: 1 } },
    metrics: run.metrics,
    artifact: run.artifact,
    lineage: {
      runId: run.runId,
      dataset: 'claims',
      datasetVersionFrom: 1,
      datasetVersionTo: 3,
      featureView: 'claims-view',
      featureViewRevision: 2,
      features: [...features],
      label: 'y',
      trainingProfile: { rowCount: 600, columns: [] },
      seed: 7,
      codeVersion: 'test',
    },
    holdout,
    trigger: trainerV1.RunTrigger.RUN_TRIGGER_API,
    completeTime: new Date(),
  });
}
