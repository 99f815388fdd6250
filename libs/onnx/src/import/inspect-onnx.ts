import { type FeatureSpec, type ModelSignature, type Task } from '@flywheel/ml';
import {
  type AttributeProto,
  type GraphProto,
  ModelProto,
  type NodeProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from '../generated/onnx-ml';
import { ML_DOMAIN, tensorValue } from '../graph/graph-builder';
import { type TensorType } from '../runtime/onnx-runtime.types';

/** Largest ONNX file imported unless a service sets its own bound. */
export const DEFAULT_ONNX_MAX_BYTES = 256 * 1024 * 1024;

/** Why a graph cannot be imported; the message names the node, input or output at fault. */
export class OnnxImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxImportError';
  }
}

/**
 * Operators a served graph may use: what scikit-learn's, XGBoost's and LightGBM's converters
 * write (and Flywheel's own export), and the arithmetic around them. Anything else — control
 * flow, custom domains, operators that read files or make random numbers — is refused at
 * import, so what is served is a function of its inputs that runs in bounded time.
 */
const ML_OPERATORS = new Set([
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'Scaler',
  'SVMClassifier',
  'SVMRegressor',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'ZipMap',
]);
const ONNX_OPERATORS = new Set([
  'Abs',
  'Add',
  'And',
  'ArgMax',
  'ArgMin',
  'Cast',
  'Clip',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'Div',
  'Equal',
  'Exp',
  'Expand',
  'Flatten',
  'Gather',
  'Gemm',
  'Greater',
  'GreaterOrEqual',
  'Identity',
  'IsNaN',
  'Less',
  'LessOrEqual',
  'Log',
  'MatMul',
  'Max',
  'Mean',
  'Min',
  'Mul',
  'Neg',
  'Not',
  'Or',
  'Pow',
  'ReduceMax',
  'ReduceMean',
  'ReduceSum',
  'Relu',
  'Reshape',
  'Shape',
  'Sigmoid',
  'Slice',
  'Softmax',
  'Sqrt',
  'Squeeze',
  'Sub',
  'Sum',
  'Tanh',
  'Tile',
  'TopK',
  'Transpose',
  'Unsqueeze',
  'Where',
]);

/** Element types an input may have. */
export type InputType = Exclude<TensorType, 'bool'>;

const INPUT_TYPES: Partial<Record<number, InputType>> = {
  [TensorProto_DataType.FLOAT]: 'float32',
  [TensorProto_DataType.DOUBLE]: 'float64',
  [TensorProto_DataType.INT64]: 'int64',
  [TensorProto_DataType.INT32]: 'int32',
  [TensorProto_DataType.STRING]: 'string',
};
const NUMERIC_OUTPUTS = new Set<number>([TensorProto_DataType.FLOAT, TensorProto_DataType.DOUBLE]);

/** One graph input and the features it carries, in column order. */
export interface OnnxInputBinding {
  readonly name: string;
  readonly type: InputType;
  /** 1: `[N]`; 2: `[N, features.length]`. */
  readonly rank: 1 | 2;
  readonly features: readonly string[];
}

/** What a graph is, read from it at import: the signature Flywheel serves it with. */
export interface OnnxModelDescription {
  readonly task: Task;
  /** The classes in the order of the probability columns (classifiers). */
  readonly classes?: readonly (number | string)[];
  readonly inputs: readonly OnnxInputBinding[];
  readonly signature: ModelSignature;
  /** Output names: the probability tensor and the label (classifiers), or the value (regression). */
  readonly outputs: { readonly probabilities?: string; readonly label?: string; readonly value?: string };
  /** Who wrote the graph (`skl2onnx`, `OnnxMLTools`, `flywheel`). */
  readonly producer: string;
}

export interface InspectOptions {
  /** Feature names for the graph's input columns in order; default the input names (one input per column). */
  readonly features?: readonly string[];
  readonly maxBytes?: number;
  /**
   * Reads the graph afresh even when it carries a description: what an import does, since a
   * description in a file someone brings is only a claim. A stored graph's own is trusted.
   */
  readonly reinspect?: boolean;
}

/** An imported graph ready to store: rewritten to be served (ZipMap removed), and what it is. */
export interface InspectedOnnx {
  readonly description: OnnxModelDescription;
  /** The graph as stored and served, with its description in its metadata. */
  readonly bytes: Uint8Array;
}

/**
 * The classes of a classifier written without a classifier operator (Flywheel's export: a
 * linear layer and a softmax), in probability-column order, as JSON.
 */
export const CLASSES_METADATA_KEY = 'flywheel.classes';

/** Where an inspected graph keeps its description, so a stored graph describes itself. */
export const DESCRIPTION_METADATA_KEY = 'flywheel.description';

const UTF8 = new TextDecoder();

/**
 * Reads an ONNX file as a team brings it and decides how Flywheel serves it: each input's
 * columns mapped to named features, the task and the classes read from the outputs. A `ZipMap`
 * at the end (scikit-learn's and XGBoost's converters add one; its sequence of maps is not a
 * tensor that runtimes hand back) is removed and the probability tensor before it becomes the
 * output. Checks only the structure; whether onnxruntime loads the graph is the caller's next step.
 */
export function inspectOnnx(bytes: Uint8Array, options: InspectOptions = {}): InspectedOnnx {
  const maxBytes = options.maxBytes ?? DEFAULT_ONNX_MAX_BYTES;
  if (bytes.length > maxBytes) throw new OnnxImportError(`the file is ${bytes.length} bytes, over the limit of ${maxBytes}`);
  let model: ModelProto;
  try {
    model = ModelProto.decode(bytes);
  } catch (error) {
    throw new OnnxImportError(`not an ONNX model: ${(error as Error).message}`);
  }
  const graph = model.graph;
  if (!graph || graph.node.length === 0) throw new OnnxImportError('not an ONNX model: it has no graph');
  checkOpsets(model);
  checkOperators(graph);

  const stored = model.metadataProps.find((p) => p.key === DESCRIPTION_METADATA_KEY)?.value;
  if (stored !== undefined && options.features === undefined && !options.reinspect) return { description: parseDescription(stored), bytes };

  const inputs = bindInputs(graph, options.features);
  const { task, classes, outputs, graph: served } = readOutputs(graph, declaredClasses(model));
  const features: FeatureSpec[] = inputs.flatMap((input) =>
    input.features.map((name): FeatureSpec =>
      input.type === 'string' ? { name, type: 'categorical', categories: [] } : { name, type: 'numeric' },
    ),
  );
  const description: OnnxModelDescription = {
    task,
    ...(classes ? { classes } : {}),
    inputs,
    // The graph decides what a category it never saw means; Flywheel passes every string on.
    signature: { features, unknownCategories: 'accept' },
    outputs,
    producer: model.producerName ?? '',
  };
  const rewritten: ModelProto = {
    ...model,
    graph: served,
    metadataProps: [
      ...model.metadataProps.filter((p) => p.key !== DESCRIPTION_METADATA_KEY),
      { key: DESCRIPTION_METADATA_KEY, value: JSON.stringify(description) },
    ],
  };
  return { description, bytes: ModelProto.encode(rewritten).finish() };
}

function checkOpsets(model: ModelProto): void {
  for (const opset of model.opsetImport) {
    const domain = opset.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx' && domain !== ML_DOMAIN)
      throw new OnnxImportError(`opset_import: domain "${domain}" is not one Flywheel serves (ai.onnx, ai.onnx.ml)`);
  }
}

function checkOperators(graph: GraphProto): void {
  graph.node.forEach((node, i) => {
    const domain = node.domain ?? '';
    const known = domain === ML_DOMAIN ? ML_OPERATORS : domain === '' || domain === 'ai.onnx' ? ONNX_OPERATORS : undefined;
    const where = `node ${i}${node.name ? ` "${node.name}"` : ''}`;
    if (!known) throw new OnnxImportError(`${where}: operator ${node.opType} of domain "${domain}" is not supported`);
    if (!known.has(node.opType ?? ''))
      throw new OnnxImportError(`${where}: operator ${domain ? `${domain}.` : ''}${node.opType} is not supported by Flywheel's serving`);
    if (node.attribute.some((a) => a.g !== undefined || a.graphs.length > 0))
      throw new OnnxImportError(`${where}: attributes holding subgraphs are not supported`);
  });
}

function tensorShape(value: ValueInfoProto, what: string): { readonly elemType: number; readonly dims: (number | undefined)[] } {
  const tensor = value.type?.tensorType;
  if (!tensor) throw new OnnxImportError(`${what} "${value.name}" is not a tensor`);
  const dims = (tensor.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue > 0 ? d.dimValue : undefined));
  if (!tensor.shape) throw new OnnxImportError(`${what} "${value.name}" has no shape`);
  return { elemType: tensor.elemType ?? 0, dims };
}

function bindInputs(graph: GraphProto, named?: readonly string[]): OnnxInputBinding[] {
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const declared = graph.input.filter((v) => !initializers.has(v.name));
  if (declared.length === 0) throw new OnnxImportError('the graph has no inputs');
  const shapes = declared.map((value) => {
    const { elemType, dims } = tensorShape(value, 'input');
    const type = INPUT_TYPES[elemType];
    if (!type)
      throw new OnnxImportError(`input "${value.name}": element type ${TensorProto_DataType[elemType] ?? elemType} is not supported`);
    if (dims.length === 0 || dims.length > 2)
      throw new OnnxImportError(`input "${value.name}" has rank ${dims.length}; Flywheel feeds [N] or [N, columns] tensors`);
    const width = dims.length === 1 ? 1 : dims[1];
    if (width === undefined) throw new OnnxImportError(`input "${value.name}" has no fixed number of columns`);
    return { name: value.name ?? '', type, rank: dims.length as 1 | 2, width };
  });
  const total = shapes.reduce((n, s) => n + s.width, 0);
  if (named !== undefined) {
    if (named.length !== total)
      throw new OnnxImportError(`features: ${named.length} names given, but the graph's inputs have ${total} columns`);
    if (new Set(named).size !== named.length) throw new OnnxImportError('features: the names must be distinct');
  } else {
    const wide = shapes.find((s) => s.width > 1);
    if (wide) throw new OnnxImportError(`input "${wide.name}" has ${wide.width} columns: name the features it carries, in order`);
  }
  let at = 0;
  return shapes.map((s) => {
    const features = named ? named.slice(at, at + s.width) : [s.name];
    at += s.width;
    return { name: s.name, type: s.type, rank: s.rank, features };
  });
}

function attributeOf(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

/** Class labels a classifier operator or ZipMap declares, in probability-column order. */
function classLabels(node: NodeProto): (number | string)[] | undefined {
  const ints = attributeOf(node, 'classlabels_int64s') ?? attributeOf(node, 'classlabels_ints');
  if (ints && ints.ints.length > 0) return ints.ints;
  const strings = attributeOf(node, 'classlabels_strings');
  if (strings && strings.strings.length > 0) return strings.strings.map((s) => UTF8.decode(s));
  return undefined;
}

const CLASSIFIERS = new Set(['TreeEnsembleClassifier', 'LinearClassifier', 'SVMClassifier']);

function declaredClasses(model: ModelProto): (number | string)[] | undefined {
  const text = model.metadataProps.find((p) => p.key === CLASSES_METADATA_KEY)?.value;
  if (text === undefined) return undefined;
  let classes: unknown;
  try {
    classes = JSON.parse(text);
  } catch {
    throw new OnnxImportError(`metadata ${CLASSES_METADATA_KEY}: not JSON`);
  }
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string' || (typeof c === 'number' && Number.isFinite(c))))
    throw new OnnxImportError(`metadata ${CLASSES_METADATA_KEY}: must be a list of class labels`);
  return classes as (number | string)[];
}

function readOutputs(
  graph: GraphProto,
  declared: (number | string)[] | undefined,
): {
  task: Task;
  classes?: (number | string)[];
  outputs: OnnxModelDescription['outputs'];
  graph: GraphProto;
} {
  const producer = new Map<string, NodeProto>();
  for (const node of graph.node) for (const out of node.output) producer.set(out, node);
  const zipMaps = graph.output.filter((o) => producer.get(o.name ?? '')?.opType === 'ZipMap');
  if (zipMaps.length > 1) throw new OnnxImportError('the graph has more than one ZipMap output');
  let outputs = graph.output;
  let nodes = graph.node;
  let classes: (number | string)[] | undefined;
  let probabilities: string | undefined;
  if (zipMaps.length === 1) {
    const zipMap = producer.get(zipMaps[0].name ?? '')!;
    classes = classLabels(zipMap);
    probabilities = zipMap.input[0];
    nodes = graph.node.filter((n) => n !== zipMap);
    outputs = [
      ...graph.output.filter((o) => o !== zipMaps[0]),
      tensorValue(probabilities, TensorProto_DataType.FLOAT, ['N', classes?.length ?? 0]),
    ];
  }
  const classifier = graph.node.find((n) => CLASSIFIERS.has(n.opType ?? ''));
  if (!classifier && zipMaps.length === 0 && declared) {
    // A classifier built from plain operators: its label and probability outputs, by type.
    const probabilityOutput = graph.output.find((o) => NUMERIC_OUTPUTS.has(o.type?.tensorType?.elemType ?? 0));
    const labelOutput = graph.output.find((o) => o !== probabilityOutput);
    if (!probabilityOutput?.name) throw new OnnxImportError('outputs: a classifier needs a float tensor of probabilities');
    return {
      task: declared.length === 2 ? 'binary' : 'multiclass',
      classes: declared,
      outputs: { probabilities: probabilityOutput.name, ...(labelOutput?.name ? { label: labelOutput.name } : {}) },
      graph,
    };
  }
  if (!classifier && zipMaps.length === 0) {
    const values = graph.output.filter((o) => NUMERIC_OUTPUTS.has(o.type?.tensorType?.elemType ?? 0));
    if (values.length !== 1)
      throw new OnnxImportError(
        `outputs: a regressor answers one float tensor; found ${graph.output.map((o) => `"${o.name}"`).join(', ')}`,
      );
    const { dims } = tensorShape(values[0], 'output');
    if (dims.length > 2 || (dims.length === 2 && dims[1] !== undefined && dims[1] !== 1))
      throw new OnnxImportError(`output "${values[0].name}" must be [N] or [N, 1] for a regressor`);
    return { task: 'regression', outputs: { value: values[0].name }, graph };
  }
  classes ??= classifier ? classLabels(classifier) : undefined;
  if (!classes || classes.length < 2) throw new OnnxImportError('a classifier must declare at least two class labels');
  if (!probabilities) {
    // Without ZipMap the classifier's second output is the probability tensor.
    probabilities = classifier!.output[1];
    if (!probabilities || !graph.output.some((o) => o.name === probabilities))
      throw new OnnxImportError(`outputs: the classifier's probabilities ("${probabilities ?? ''}") are not a graph output`);
  }
  const label = outputs.find((o) => o.name !== probabilities && !NUMERIC_OUTPUTS.has(o.type?.tensorType?.elemType ?? 0));
  return {
    task: classes.length === 2 ? 'binary' : 'multiclass',
    classes,
    outputs: { probabilities, ...(label?.name ? { label: label.name } : {}) },
    graph: { ...graph, node: nodes, output: outputs },
  };
}

function parseDescription(text: string): OnnxModelDescription {
  try {
    const parsed = JSON.parse(text) as OnnxModelDescription;
    if (!Array.isArray(parsed.inputs) || !parsed.signature || !parsed.outputs) throw new Error('incomplete');
    return parsed;
  } catch (error) {
    throw new OnnxImportError(`metadata ${DESCRIPTION_METADATA_KEY}: ${(error as Error).message}`);
  }
}
