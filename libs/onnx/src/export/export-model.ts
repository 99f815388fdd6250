import { type ModelArtifact, type NumericStep, type CategoricalStep, type SerializedTree, type Table, getColumn } from '@flywheel/ml';
import { ModelProto, TensorProto_DataType } from '../generated/onnx-ml';
import { type TensorData } from '../runtime/onnx-runtime.types';
import { CLASSES_METADATA_KEY } from '../import/inspect-onnx';
import { doubleTensor, GraphBuilder, int64Tensor, ML_DOMAIN, stringTensor, tensorValue } from '../graph/graph-builder';

/** Opsets the exported graphs import: `ai.onnx.ml` 3 for trees with double thresholds, ONNX 15. */
export const EXPORT_OPSETS = { onnx: 15, ml: 3 } as const;
/** ONNX IR version 8 (ONNX 1.10–1.12): what every runtime of the last years reads. */
export const EXPORT_IR_VERSION = 8;

/** Names the exported graph's outputs take, as scikit-learn's converter names them. */
export const EXPORT_OUTPUTS = { label: 'label', probabilities: 'probabilities', value: 'variable' } as const;

export interface ExportOptions {
  /** Registered model name and version, recorded in the file's metadata. */
  readonly modelName?: string;
  readonly version?: number;
}

/**
 * Writes a Flywheel model as an ONNX graph that reproduces its predictions: one input per
 * feature (`[N, 1]`, doubles for numeric features — NaN is missing — and strings for categorical
 * ones — the empty string is missing), the fitted preprocessing, then the model. Classifiers
 * answer `label` and `probabilities` (`[N, classes]`, in the model's class order), regressors
 * `variable` (`[N, 1]`).
 *
 * Everything runs in doubles, as the native model does, except the tree ensembles: ONNX's
 * tree operators compare doubles against double thresholds but return their sums as floats,
 * so tree models agree to float precision (about 1e-7 relative).
 */
export function exportModel(artifact: ModelArtifact, options: ExportOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const inputs = artifact.preprocessing.steps.map((step) =>
    tensorValue(g.reserve(step.name), step.type === 'numeric' ? TensorProto_DataType.DOUBLE : TensorProto_DataType.STRING, ['N', 1]),
  );
  for (const name of Object.values(EXPORT_OUTPUTS)) g.reserve(name);
  const encoded = artifact.preprocessing.steps.flatMap((step) =>
    step.type === 'numeric' ? [encodeNumeric(g, step)] : encodeCategorical(g, step),
  );
  const x = encoded.length === 1 ? encoded[0] : g.op('Concat', encoded, { axis: { int: 1 } });
  const outputs = writeModel(g, artifact, x);

  const model = ModelProto.fromPartial({
    irVersion: EXPORT_IR_VERSION,
    producerName: 'flywheel',
    producerVersion: String(artifact.formatVersion),
    domain: 'ai.flywheel',
    modelVersion: options.version ?? 0,
    docString: `${artifact.algorithm} ${artifact.task} model predicting "${artifact.label.name}"`,
    opsetImport: [
      { domain: '', version: EXPORT_OPSETS.onnx },
      { domain: ML_DOMAIN, version: EXPORT_OPSETS.ml },
    ],
    metadataProps: [
      ...(options.modelName === undefined ? [] : [{ key: 'flywheel.model', value: options.modelName }]),
      { key: 'flywheel.algorithm', value: artifact.algorithm },
      { key: 'flywheel.task', value: artifact.task },
      { key: 'flywheel.label', value: artifact.label.name },
      ...(artifact.label.classes ? [{ key: CLASSES_METADATA_KEY, value: JSON.stringify(artifact.label.classes) }] : []),
      // The feature contract as Flywheel states it, so an exported model imports with the same signature.
      { key: 'flywheel.signature', value: JSON.stringify(artifact.signature) },
    ],
    graph: {
      name: options.modelName ?? 'flywheel_model',
      node: g.nodes,
      initializer: g.initializers,
      input: inputs,
      output: outputs,
    },
  });
  return ModelProto.encode(model).finish();
}

/**
 * A table's rows as an exported graph takes them: one `[N, 1]` tensor per feature, doubles with
 * NaN for missing numbers, strings with "" for missing categories.
 */
export function exportedFeeds(artifact: ModelArtifact, table: Table): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const step of artifact.preprocessing.steps) {
    const col = getColumn(table, step.name);
    const dims = [table.nRows, 1];
    if (col.type === 'numeric') feeds[step.name] = { type: 'float64', data: Float64Array.from(col.values), dims };
    else feeds[step.name] = { type: 'string', data: Array.from(col.codes, (c) => (c < 0 ? '' : col.dictionary[c])), dims };
  }
  return feeds;
}

/** `((isNaN(x) ? fill : x) − center) / scale`, as the native preprocessor computes it. */
function encodeNumeric(g: GraphBuilder, step: NumericStep): string {
  let x = step.name;
  if (step.fill !== null) {
    const fill = g.constant(`${step.name}_fill`, (n) => doubleTensor(n, [step.fill as number], []));
    x = g.op('Where', [g.op('IsNaN', [x]), fill, x]);
  }
  if (step.center !== 0) x = g.op('Sub', [x, g.constant(`${step.name}_center`, (n) => doubleTensor(n, [step.center], []))]);
  if (step.scale !== 1) x = g.op('Div', [x, g.constant(`${step.name}_scale`, (n) => doubleTensor(n, [step.scale], []))]);
  return x;
}

/**
 * A category's index among the training categories (the empty string is missing and takes the
 * fill category; −1 keeps it missing, −2 marks a category training never saw), then one column
 * per category plus the unknown bucket (one-hot), or the index itself with NaN for none (ordinal).
 */
function encodeCategorical(g: GraphBuilder, step: CategoricalStep): string[] {
  const keys = [...step.categories];
  const values = step.categories.map((_, k) => k);
  if (!keys.includes('')) {
    keys.push('');
    values.push(step.fill);
  }
  const index = g.op(
    'LabelEncoder',
    [step.name],
    { keys_strings: { strings: keys }, values_floats: { floats: values }, default_float: { float: -2 } },
    ML_DOMAIN,
  );
  const k = g.op('Cast', [index], { to: { int: TensorProto_DataType.DOUBLE } });
  if (step.encoding === 'ordinal') {
    const zero = g.constant(`${step.name}_zero`, (n) => doubleTensor(n, [0], []));
    const nan = g.constant(`${step.name}_nan`, (n) => doubleTensor(n, [Number.NaN], []));
    return [g.op('Where', [g.op('Less', [k, zero]), nan, k])];
  }
  // Missing without a fill (−1) matches no column: all zeros, as natively.
  const columns = g.constant(`${step.name}_columns`, (n) => doubleTensor(n, [...values.slice(0, step.categories.length), -2]));
  return [g.op('Cast', [g.op('Equal', [k, columns])], { to: { int: TensorProto_DataType.DOUBLE } })];
}

function writeModel(g: GraphBuilder, artifact: ModelArtifact, x: string) {
  const m = artifact.model;
  if (m.kind === 'linear') {
    const coef = g.constant('coefficients', (n) => doubleTensor(n, m.coef, [m.coef.length, 1]));
    const intercept = g.constant('intercept', (n) => doubleTensor(n, [m.intercept]));
    g.node('Add', [g.op('MatMul', [x, coef]), intercept], { outputs: [EXPORT_OUTPUTS.value] });
    return [regressionOutput()];
  }
  if (m.kind === 'logistic') {
    const width = m.coef[0].length;
    const transposed: number[] = [];
    for (let j = 0; j < width; j++) for (const row of m.coef) transposed.push(row[j]);
    const coef = g.constant('coefficients', (n) => doubleTensor(n, transposed, [width, m.coef.length]));
    const intercept = g.constant('intercepts', (n) => doubleTensor(n, m.intercept));
    const z = g.op('Add', [g.op('MatMul', [x, coef]), intercept]);
    if (m.coef.length === 1) binaryProbabilities(g, g.op('Sigmoid', [z]));
    else g.node('Softmax', [z], { outputs: [EXPORT_OUTPUTS.probabilities], attributes: { axis: { int: 1 } } });
    return classifierOutputs(g, artifact);
  }
  const sum = treeEnsemble(g, x, m.trees, m.kind === 'gbdt' ? m.baseline : 0, m.kind === 'gbdt' ? 'SUM' : 'AVERAGE');
  if (artifact.task === 'regression') {
    g.node('Cast', [sum], { outputs: [EXPORT_OUTPUTS.value], attributes: { to: { int: TensorProto_DataType.DOUBLE } } });
    return [regressionOutput()];
  }
  const score = g.op('Cast', [sum], { to: { int: TensorProto_DataType.DOUBLE } });
  // Boosted trees add log-odds; a forest's mean leaf is already the class-1 probability.
  binaryProbabilities(g, m.kind === 'gbdt' ? g.op('Sigmoid', [score]) : score);
  return classifierOutputs(g, artifact);
}

function regressionOutput() {
  return tensorValue(EXPORT_OUTPUTS.value, TensorProto_DataType.DOUBLE, ['N', 1]);
}

/** `[1 − p, p]` from the class-1 probability `p` (`[N, 1]`). */
function binaryProbabilities(g: GraphBuilder, p1: string): void {
  const one = g.constant('one', (n) => doubleTensor(n, [1], []));
  g.node('Concat', [g.op('Sub', [one, p1]), p1], { outputs: [EXPORT_OUTPUTS.probabilities], attributes: { axis: { int: 1 } } });
}

/** The most probable class (the first on ties, as natively), as the class labels themselves. */
function classifierOutputs(g: GraphBuilder, artifact: ModelArtifact) {
  const classes = artifact.label.classes ?? [];
  const best = g.op('ArgMax', [EXPORT_OUTPUTS.probabilities], { axis: { int: 1 }, keepdims: { int: 0 } });
  let labels: string;
  let elemType: TensorProto_DataType;
  if (classes.every((c) => typeof c === 'number' && Number.isSafeInteger(c))) {
    labels = g.constant('classes', (n) => int64Tensor(n, classes as number[]));
    elemType = TensorProto_DataType.INT64;
  } else if (classes.every((c) => typeof c === 'number')) {
    labels = g.constant('classes', (n) => doubleTensor(n, classes as number[]));
    elemType = TensorProto_DataType.DOUBLE;
  } else {
    labels = g.constant('classes', (n) => stringTensor(n, classes.map(String)));
    elemType = TensorProto_DataType.STRING;
  }
  g.node('Gather', [labels, best], { outputs: [EXPORT_OUTPUTS.label], attributes: { axis: { int: 0 } } });
  return [
    tensorValue(EXPORT_OUTPUTS.label, elemType, ['N']),
    tensorValue(EXPORT_OUTPUTS.probabilities, TensorProto_DataType.DOUBLE, ['N', classes.length]),
  ];
}

/**
 * One `TreeEnsembleRegressor` over the model inputs. Native trees send a value left when it is
 * `<=` the threshold (a missing value where the tree learned to send it); `BRANCH_LEQ` with
 * `nodes_missing_value_tracks_true` says exactly that with the left child as the true branch.
 * Thresholds and leaf values are double tensors (the `_as_tensor` attributes of ml opset 3).
 */
function treeEnsemble(
  g: GraphBuilder,
  x: string,
  trees: readonly SerializedTree[],
  baseline: number,
  aggregate: 'SUM' | 'AVERAGE',
): string {
  const nodes = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    thresholds: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    missingTrue: [] as number[],
  };
  const leaves = { treeIds: [] as number[], nodeIds: [] as number[], weights: [] as number[] };
  trees.forEach((tree, t) => {
    for (let i = 0; i < tree.feature.length; i++) {
      const leaf = tree.left[i] < 0;
      nodes.treeIds.push(t);
      nodes.nodeIds.push(i);
      nodes.featureIds.push(leaf ? 0 : tree.feature[i]);
      nodes.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      nodes.thresholds.push(leaf ? 0 : (tree.threshold[i] ?? Infinity));
      nodes.trueIds.push(leaf ? 0 : tree.left[i]);
      nodes.falseIds.push(leaf ? 0 : tree.right[i]);
      nodes.missingTrue.push(leaf ? 0 : tree.missingLeft[i]);
      if (leaf) {
        leaves.treeIds.push(t);
        leaves.nodeIds.push(i);
        leaves.weights.push(tree.value[i]);
      }
    }
  });
  return g.op(
    'TreeEnsembleRegressor',
    [x],
    {
      n_targets: { int: 1 },
      aggregate_function: { string: aggregate },
      post_transform: { string: 'NONE' },
      base_values_as_tensor: { tensor: doubleTensor('base_values', [baseline]) },
      nodes_treeids: { ints: nodes.treeIds },
      nodes_nodeids: { ints: nodes.nodeIds },
      nodes_featureids: { ints: nodes.featureIds },
      nodes_modes: { strings: nodes.modes },
      nodes_values_as_tensor: { tensor: doubleTensor('nodes_values', nodes.thresholds) },
      nodes_truenodeids: { ints: nodes.trueIds },
      nodes_falsenodeids: { ints: nodes.falseIds },
      nodes_missing_value_tracks_true: { ints: nodes.missingTrue },
      target_treeids: { ints: leaves.treeIds },
      target_nodeids: { ints: leaves.nodeIds },
      target_ids: { ints: leaves.treeIds.map(() => 0) },
      target_weights_as_tensor: { tensor: doubleTensor('target_weights', leaves.weights) },
    },
    ML_DOMAIN,
  );
}
