import { fitGbdt } from '../models/hist-gradient-boosting';
import { type TreeArrays } from '../models/hist-tree';
import { fitLinearRegression } from '../models/linear-regression';
import { fitLogisticRegression } from '../models/logistic-regression';
import { fitRandomForest, type RandomForestOptions } from '../models/random-forest';
import { type ProgressCallback } from '../models/progress';
import { Preprocessor, type ImputeStrategy, fitPreprocessor, signatureOf } from '../preprocessing/preprocessor';
import { Rng } from '../random/rng';
import { splitIndices } from '../selection/split';
import { type Column, type Table, MISSING_CODE, getColumn, takeRows } from '../table/table';
import { FORMAT_VERSION, type ModelArtifact, type ModelState, type SerializedTree, type Task } from './format';
import { DEFAULT_ARTIFACT_LIMITS, MAX_TREE_LEAVES } from './limits';
import { LoadedModel } from './loaded-model';
import { type Algorithm, type RawParamValue, resolveParams } from './params';
import { profileForArtifact } from './profile';
import { evaluatePredictions } from './training-metrics';

export interface FitModelInput {
  readonly table: Table;
  /** Name of the label column. */
  readonly label: string;
  readonly algo: Algorithm;
  /** Algorithm parameters (camelCase or sklearn's snake_case); strings are converted. */
  readonly params?: Readonly<Record<string, RawParamValue>>;
  /** Seed for the hold-out split and every random choice in training (default 0). */
  readonly seed?: number;
  readonly onProgress?: ProgressCallback;
  /** Feature columns; default every column but the label. */
  readonly features?: readonly string[];
  /** Timestamp to record (default now). */
  readonly now?: Date;
  /**
   * Threads a gradient-boosted fit may build histograms and score its rows on (default 1); the
   * model and its metrics are the same for any number.
   */
  readonly threads?: number;
}

/**
 * Fits a model end to end: resolves parameters, holds out a seeded (stratified for
 * classifiers) validation share, fits preprocessing and the model on the training rows,
 * measures both parts, profiles the training data, and returns the artifact.
 */
export function fitModel(input: FitModelInput): ModelArtifact {
  const { table, label, algo } = input;
  const seed = input.seed ?? 0;
  let params = resolveParams(algo, input.params ?? {});
  const labelColumn = getColumn(table, label);
  const features = input.features ?? table.columns.filter((c) => c.name !== label).map((c) => c.name);
  if (features.includes(label)) throw new Error(`label "${label}" cannot also be a feature`);
  if (features.length === 0) throw new Error('no feature columns to train on');
  for (const f of features) getColumn(table, f);
  if (table.nRows === 0) throw new Error('cannot train on an empty table');

  const task = decideTask(algo, labelColumn, params.task as string | undefined);
  // The artifact records the value used, not `auto`.
  if (params.maxFeatures === 'auto') params = { ...params, maxFeatures: task === 'regression' ? 1 : 'sqrt' };
  const target = encodeLabel(labelColumn, task);
  const rng = new Rng(seed);
  const holdout = params.holdout as number;
  const split = splitIndices(table.nRows, { validation: holdout, stratify: target.classIndex ?? undefined, seed: rng.nextUint32() });
  if (split.train.length === 0) throw new Error('no training rows after the hold-out split');
  const trainTable = takeRows(table, split.train);
  const validationTable = split.validation.length > 0 ? takeRows(table, split.validation) : null;

  const linear = algo === 'linear' || algo === 'logreg';
  const preprocessing = fitPreprocessor(trainTable, features, {
    // Trees take missing values and raw scales as they are; linear models need both handled.
    impute: linear ? (params.impute as ImputeStrategy) : 'none',
    scale: linear ? (params.scale as boolean) : false,
    categorical: linear ? 'onehot' : 'ordinal',
    acceptUnknownCategories: params.unknownCategories !== 'error',
  });
  const preprocessor = new Preprocessor(preprocessing);
  const xTrain = preprocessor.transform(trainTable);
  const yTrainClass = target.classIndex ? pick(target.classIndex, split.train) : null;
  const yTrainValue = pick(target.values, split.train);

  let model: ModelState;
  let iterations = 0;
  // "None" for a tree's depth (and gbdt's leaves) grows up to the bounds every loader accepts (limits.ts), not past them.
  const maxDepth = (params.maxDepth as number | null | undefined) ?? DEFAULT_ARTIFACT_LIMITS.maxTreeDepth;
  let stop: string | undefined;
  if (algo === 'linear') {
    const fit = fitLinearRegression(xTrain, yTrainValue, { alpha: params.alpha as number });
    model = { kind: 'linear', coef: Array.from(fit.coef), intercept: fit.intercept };
  } else if (algo === 'logreg') {
    const fit = fitLogisticRegression(xTrain, yTrainClass as Int32Array, target.classes.length, {
      C: params.C as number,
      maxIterations: params.maxIter as number,
      tolerance: params.tol as number,
      onProgress: input.onProgress,
    });
    model = { kind: 'logistic', coef: fit.model.coef.map((r) => Array.from(r)), intercept: Array.from(fit.model.intercept) };
    iterations = fit.optimizer.iterations;
    stop = fit.optimizer.stop;
  } else if (algo === 'random_forest') {
    // resolveParams names these as the forest's options do, so they pass through as they are.
    type Given = Pick<RandomForestOptions, 'nEstimators' | 'minSamplesLeaf' | 'maxFeatures' | 'bootstrap'>;
    const { nEstimators, minSamplesLeaf, maxFeatures, bootstrap } = params as unknown as Given;
    const growth = { nEstimators, maxDepth, minSamplesLeaf, maxFeatures, bootstrap };
    const fit = fitRandomForest(xTrain, yTrainValue, {
      ...growth,
      criterion: task === 'regression' ? 'squared_error' : 'gini',
      seed: rng.nextUint32(),
      maxNodesPerTree: DEFAULT_ARTIFACT_LIMITS.maxNodesPerTree,
      maxTotalNodes: DEFAULT_ARTIFACT_LIMITS.maxTotalNodes,
      onProgress: input.onProgress,
    });
    model = { kind: 'random_forest', trees: fit.trees };
    iterations = fit.trees.length;
  } else {
    const fit = fitGbdt(xTrain, yTrainValue, {
      loss: task === 'regression' ? 'squared_error' : 'log_loss',
      learningRate: params.learningRate as number,
      maxIter: params.maxIter as number,
      maxLeafNodes: (params.maxLeafNodes as number | null) ?? MAX_TREE_LEAVES,
      maxDepth,
      minSamplesLeaf: params.minSamplesLeaf as number,
      l2Regularization: params.l2Regularization as number,
      maxBins: params.maxBins as number,
      earlyStopping: params.earlyStopping as 'auto' | boolean,
      validationFraction: params.validationFraction as number,
      nIterNoChange: params.nIterNoChange as number,
      tol: params.tol as number,
      seed: rng.nextUint32(),
      threads: input.threads,
      onProgress: input.onProgress,
    });
    model = { kind: 'gbdt', loss: fit.model.loss, baseline: fit.model.baseline, trees: fit.model.trees.map(serializeTree) };
    iterations = fit.nIter;
    stop = fit.nIter < (params.maxIter as number) ? 'early-stopping' : 'max-iter';
  }

  const partial: ModelArtifact = {
    formatVersion: FORMAT_VERSION,
    algorithm: algo,
    task,
    label: task === 'regression' ? { name: label } : { name: label, classes: target.classes },
    parameters: params,
    preprocessing,
    signature: signatureOf(preprocessing),
    model,
    metrics: { train: {}, validation: null },
    training: {
      rows: table.nRows,
      trainRows: split.train.length,
      validationRows: split.validation.length,
      iterations,
      ...(stop === undefined ? {} : { stop }),
      inputNames: preprocessor.outputNames,
    },
    profile: profileForArtifact(trainTable, features),
    seed,
    createdAt: (input.now ?? new Date()).toISOString(),
  };
  // Score through the same code path serving uses, so the reported metrics are the served model's.
  const served = new LoadedModel(partial);
  const train = evaluatePredictions(
    task,
    served.predictColumns(xTrain, split.train.length, { threads: input.threads }),
    yTrainClass,
    yTrainValue,
  );
  const validation =
    validationTable === null
      ? null
      : evaluatePredictions(
          task,
          served.predictTable(validationTable, { threads: input.threads }),
          target.classIndex ? pick(target.classIndex, split.validation) : null,
          pick(target.values, split.validation),
        );
  return { ...partial, metrics: { train, validation } };
}

function decideTask(algo: Algorithm, label: Column, requested: string | undefined): Task {
  if (algo === 'linear') {
    if (label.type !== 'numeric') throw new Error(`label "${label.name}" must be numeric for linear regression`);
    return 'regression';
  }
  const classes = algo === 'logreg' || requested === 'classification' || (requested === 'auto' && looksCategorical(label));
  if (!classes) {
    if (label.type !== 'numeric') throw new Error(`label "${label.name}" must be numeric for regression`);
    return 'regression';
  }
  const n = distinctClasses(label).length;
  if (n < 2) throw new Error(`label "${label.name}" has ${n} class${n === 1 ? '' : 'es'}; classification needs at least 2`);
  if ((algo === 'gbdt' || algo === 'random_forest') && n > 2)
    throw new Error(`${algo} classifies two classes; label "${label.name}" has ${n}`);
  return n === 2 ? 'binary' : 'multiclass';
}

/** For `task=auto`: a categorical label, or a numeric one holding only 0 and 1, is a class label. */
function looksCategorical(label: Column): boolean {
  if (label.type === 'categorical') return true;
  for (const v of label.values) if (v !== 0 && v !== 1 && v === v) return false;
  return true;
}

function distinctClasses(label: Column): (number | string)[] {
  if (label.type === 'numeric') {
    const seen = new Set<number>();
    const values = label.values;
    for (let i = 0; i < values.length; i++) if (values[i] === values[i]) seen.add(values[i]);
    return Array.from(seen).sort((a, b) => a - b);
  }
  const used = new Set<number>();
  for (const c of label.codes) if (c !== MISSING_CODE) used.add(c);
  return Array.from(used, (c) => label.dictionary[c]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

interface EncodedLabel {
  readonly classes: (number | string)[];
  /** Class index per row (classification). */
  readonly classIndex: Int32Array | null;
  /** Regression target, or the class index as a number (binary trees train on 0/1). */
  readonly values: Float64Array;
}

function encodeLabel(label: Column, task: Task): EncodedLabel {
  const n = label.type === 'numeric' ? label.values.length : label.codes.length;
  const missingRow = (i: number): never => {
    throw new Error(`label "${label.name}" is missing in row ${i + 1}`);
  };
  if (task === 'regression') {
    const values = (label as Extract<Column, { type: 'numeric' }>).values;
    for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) missingRow(i);
    return { classes: [], classIndex: null, values };
  }
  const classes = distinctClasses(label);
  const classIndex = new Int32Array(n);
  const values = new Float64Array(n);
  // Class index per numeric value, or per dictionary code: one lookup table, no string per row.
  const byValue = new Map(classes.map((c, k) => [c, k]));
  const byCode = label.type === 'categorical' ? Int32Array.from(label.dictionary, (d) => byValue.get(d) ?? -1) : null;
  for (let i = 0; i < n; i++) {
    let k: number | undefined;
    if (byCode === null) k = byValue.get((label as Extract<Column, { type: 'numeric' }>).values[i]);
    else {
      const code = (label as Extract<Column, { type: 'categorical' }>).codes[i];
      k = code === MISSING_CODE ? undefined : byCode[code];
    }
    if (k === undefined || k < 0) missingRow(i);
    classIndex[i] = k as number;
    values[i] = k as number;
  }
  return { classes, classIndex, values };
}

function pick<T extends Float64Array | Int32Array>(src: T, rows: Int32Array): T {
  const out = new (src.constructor as new (n: number) => T)(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = src[rows[i]];
  return out;
}

function serializeTree(t: TreeArrays): SerializedTree {
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold, (x) => (x === Infinity ? null : x)),
    missingLeft: Array.from(t.missingLeft),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from(t.value),
  };
}
