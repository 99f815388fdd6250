import { type commonV1, type inferenceV2 } from '@flywheel/contracts';
import { type FeatureSpec } from '@flywheel/ml';
import { type OnnxInputBinding } from '@flywheel/onnx';
import { invalidArgument } from '@flywheel/platform';
import { isBooleanLabel } from '../serving/model-input';

/**
 * The Open Inference Protocol's tensors, as REST JSON and gRPC carry them, turned into the rows
 * of feature values a prediction takes, and predictions back into output tensors. Pure: the
 * service around it routes, logs and answers.
 */

/** A tensor with its elements decoded, whichever way it came. */
export interface Tensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: ReadonlyArray<number | string | boolean | null>;
}

/** What an inference request asks, from either transport. */
export interface InferRequest {
  readonly id: string;
  readonly inputs: readonly Tensor[];
  /** Outputs asked for; undefined for all. */
  readonly outputs: readonly string[] | undefined;
}

export const MAX_INFER_ROWS = 10_000;
export const MAX_INFER_ELEMENTS = 1_000_000;
const MAX_INPUTS = 1_000;
const MAX_ID_LENGTH = 100;
const ID_PATTERN = /^[\x21-\x7e]*$/;

const NUMERIC_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'FP16', 'FP32', 'FP64']);
const DATATYPES = new Set([...NUMERIC_TYPES, 'BOOL', 'BYTES']);

/** The outputs a model gives: its prediction, and for a binary classifier both classes' probabilities. */
export const PREDICT_OUTPUT = 'predict';
export const PROBA_OUTPUT = 'predict_proba';

function checkId(id: unknown): string {
  if (id === undefined || id === null || id === '') return '';
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id))
    throw invalidArgument('id', `must be at most ${MAX_ID_LENGTH} printable ASCII characters without spaces`);
  return id;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Nested JSON arrays flattened row-major, without recursion (a hostile depth costs nothing). */
function flatten(data: unknown, field: string): Array<number | string | boolean | null> {
  const out: Array<number | string | boolean | null> = [];
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
      continue;
    }
    if (item === null || typeof item === 'number' || typeof item === 'string' || typeof item === 'boolean') out.push(item);
    else throw invalidArgument(field, 'must hold numbers, texts, booleans or null');
    if (out.length > MAX_INFER_ELEMENTS) throw invalidArgument(field, `holds more than ${MAX_INFER_ELEMENTS} elements`);
  }
  return out;
}

function checkShape(shape: unknown, field: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 8) throw invalidArgument(field, 'must be a list of 1 to 8 dimensions');
  return shape.map((d, i) => {
    const n = Number(d);
    if (!Number.isSafeInteger(n) || n < 0) throw invalidArgument(`${field}[${i}]`, 'must be a whole number of at least 0');
    return n;
  });
}

function tensorOf(name: unknown, datatype: unknown, shape: unknown, data: Array<number | string | boolean | null>, at: string): Tensor {
  if (typeof name !== 'string' || name === '') throw invalidArgument(`${at}.name`, 'is required');
  if (typeof datatype !== 'string' || !DATATYPES.has(datatype))
    throw invalidArgument(`${at}.datatype`, `must be one of ${[...DATATYPES].join(', ')}`);
  const dims = checkShape(shape, `${at}.shape`);
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw invalidArgument(`${at}.data`, `holds ${data.length} elements; shape [${dims.join(', ')}] needs ${size}`);
  return { name, datatype, shape: dims, data };
}

/** A REST `POST …/infer` body. */
export function restInferRequest(body: unknown): InferRequest {
  if (!isObject(body)) throw invalidArgument('body', 'must be a JSON object with "inputs"');
  if (!Array.isArray(body.inputs) || body.inputs.length === 0) throw invalidArgument('inputs', 'must list at least one input tensor');
  if (body.inputs.length > MAX_INPUTS) throw invalidArgument('inputs', `must list at most ${MAX_INPUTS} tensors`);
  const inputs = body.inputs.map((input: unknown, i) => {
    const at = `inputs[${i}]`;
    if (!isObject(input)) throw invalidArgument(at, 'must be an object {name, shape, datatype, data}');
    return tensorOf(input.name, input.datatype, input.shape, flatten(input.data, `${at}.data`), at);
  });
  let outputs: string[] | undefined;
  if (body.outputs !== undefined) {
    if (!Array.isArray(body.outputs)) throw invalidArgument('outputs', 'must be a list of {name}');
    outputs = body.outputs.map((o: unknown, i) => {
      if (!isObject(o) || typeof o.name !== 'string') throw invalidArgument(`outputs[${i}].name`, 'is required');
      return o.name;
    });
  }
  return { id: checkId(body.id), inputs, outputs };
}

/** Little-endian elements of one raw input, by its data type. */
function rawElements(bytes: Uint8Array, datatype: string, at: string): Array<number | string | boolean> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fixed: Record<string, [number, (offset: number) => number | boolean]> = {
    BOOL: [1, (o) => view.getUint8(o) !== 0],
    INT8: [1, (o) => view.getInt8(o)],
    UINT8: [1, (o) => view.getUint8(o)],
    INT16: [2, (o) => view.getInt16(o, true)],
    UINT16: [2, (o) => view.getUint16(o, true)],
    INT32: [4, (o) => view.getInt32(o, true)],
    UINT32: [4, (o) => view.getUint32(o, true)],
    INT64: [8, (o) => Number(view.getBigInt64(o, true))],
    UINT64: [8, (o) => Number(view.getBigUint64(o, true))],
    FP32: [4, (o) => view.getFloat32(o, true)],
    FP64: [8, (o) => view.getFloat64(o, true)],
  };
  if (datatype === 'BYTES') {
    // Each element: a 4-byte little-endian length, then its bytes.
    const out: string[] = [];
    for (let o = 0; o < bytes.length;) {
      if (o + 4 > bytes.length) throw invalidArgument(at, 'ends inside an element length');
      const length = view.getUint32(o, true);
      if (o + 4 + length > bytes.length) throw invalidArgument(at, 'ends inside an element');
      out.push(Buffer.from(bytes.buffer, bytes.byteOffset + o + 4, length).toString('utf8'));
      o += 4 + length;
    }
    return out;
  }
  const reader = fixed[datatype];
  if (!reader) throw invalidArgument(at, `cannot carry ${datatype} elements`);
  const [width, read] = reader;
  if (bytes.length % width !== 0) throw invalidArgument(at, `is ${bytes.length} bytes, not a whole number of ${datatype} elements`);
  return Array.from({ length: bytes.length / width }, (_, k) => read(k * width));
}

/** Elements of a gRPC input from the contents field of its data type. */
function contentElements(contents: inferenceV2.InferTensorContents | undefined, datatype: string): Array<number | string | boolean> {
  if (!contents) return [];
  switch (datatype) {
    case 'BOOL':
      return contents.boolContents;
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return contents.intContents;
    case 'INT64':
      return contents.int64Contents;
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return contents.uintContents;
    case 'UINT64':
      return contents.uint64Contents;
    case 'FP32':
      return contents.fp32Contents;
    case 'FP64':
      return contents.fp64Contents;
    case 'BYTES':
      return contents.bytesContents.map((b) => Buffer.from(b).toString('utf8'));
    default:
      return [];
  }
}

/** A gRPC ModelInferRequest. */
export function grpcInferRequest(request: inferenceV2.ModelInferRequest): InferRequest {
  if (request.inputs.length === 0) throw invalidArgument('inputs', 'must list at least one input tensor');
  if (request.inputs.length > MAX_INPUTS) throw invalidArgument('inputs', `must list at most ${MAX_INPUTS} tensors`);
  const raw = request.rawInputContents;
  if (raw.length > 0 && raw.length !== request.inputs.length)
    throw invalidArgument('raw_input_contents', `holds ${raw.length} tensors for ${request.inputs.length} inputs`);
  let elements = 0;
  const inputs = request.inputs.map((input, i) => {
    const at = `inputs[${i}]`;
    if (raw.length > 0 && input.contents) throw invalidArgument(`${at}.contents`, 'must be unset when raw_input_contents is used');
    if (!DATATYPES.has(input.datatype)) throw invalidArgument(`${at}.datatype`, `must be one of ${[...DATATYPES].join(', ')}`);
    const data =
      raw.length > 0 ? rawElements(raw[i]!, input.datatype, `raw_input_contents[${i}]`) : contentElements(input.contents, input.datatype);
    elements += data.length;
    if (elements > MAX_INFER_ELEMENTS) throw invalidArgument('inputs', `hold more than ${MAX_INFER_ELEMENTS} elements`);
    return tensorOf(input.name, input.datatype, input.shape, data, at);
  });
  const outputs = request.outputs.length > 0 ? request.outputs.map((o) => o.name) : undefined;
  return { id: checkId(request.id), inputs, outputs };
}

function valueOf(element: number | string | boolean | null, datatype: string): commonV1.Value {
  if (element === null) return {};
  if (datatype === 'BOOL') return { boolValue: Boolean(element) };
  if (datatype === 'BYTES') return { stringValue: String(element) };
  return typeof element === 'number' ? { numberValue: element } : { stringValue: String(element) };
}

/**
 * Rows of feature values: one input per feature, of shape [N] or [N, 1], named after it (as
 * MLServer's pandas codec sends them); for an ONNX model, its graph's own inputs, each [N, k]
 * with the k features it carries in its columns (as the graph itself is fed, e.g. one
 * `float_input` of [N, 4]); or one input of shape [N, F] holding the F features in the model's
 * order (as a numpy array is sent).
 */
export function rowsOfInputs(
  inputs: readonly Tensor[],
  features: readonly FeatureSpec[],
  graphInputs?: readonly OnnxInputBinding[],
): Array<Record<string, commonV1.Value>> {
  const byName = featuresByName(features);
  const named = inputs.every((t) => byName.has(t.name));
  if (!named && graphInputs && inputs.every((t) => graphInputs.some((g) => g.name === t.name)))
    return rowsOfGraphInputs(inputs, graphInputs);
  if (!named) {
    const matrix = inputs.length === 1 ? inputs[0]! : undefined;
    if (!matrix || matrix.shape.length !== 2 || matrix.shape[1] !== features.length) {
      const unknown = inputs.findIndex((t) => !byName.has(t.name));
      const graph = graphInputs
        ? `, or the graph's inputs (${graphInputs.map((g) => `${g.name} [N, ${g.features.length}]`).join(', ')})`
        : '';
      throw invalidArgument(
        `inputs[${unknown}].name`,
        `the model has no feature "${inputs[unknown]!.name}": send one input per feature (${features.map((f) => f.name).join(', ')})${graph}, ` +
          `or one input of shape [N, ${features.length}] with the features in that order`,
      );
    }
    const n = matrix.shape[0]!;
    checkRows(n);
    return rowsOf(
      n,
      features.length,
      (c) => features[c]!.name,
      (r, c) => valueOf(matrix.data[r * features.length + c]!, matrix.datatype),
    );
  }
  const n = inputs[0]!.shape[0]!;
  inputs.forEach((t, i) => {
    if (t.shape[0] !== n || t.shape.slice(1).some((d) => d !== 1))
      throw invalidArgument(`inputs[${i}].shape`, `must be [${n}] or [${n}, 1] like the first input's rows`);
  });
  checkRows(n);
  return rowsOf(
    n,
    inputs.length,
    (c) => inputs[c]!.name,
    (r, c) => valueOf(inputs[c]!.data[r]!, inputs[c]!.datatype),
  );
}

/** A signature's features by name, made once per signature (a served version keeps its own). */
const featureMaps = new WeakMap<readonly FeatureSpec[], ReadonlyMap<string, FeatureSpec>>();

function featuresByName(features: readonly FeatureSpec[]): ReadonlyMap<string, FeatureSpec> {
  let byName = featureMaps.get(features);
  if (!byName) featureMaps.set(features, (byName = new Map(features.map((f) => [f.name, f]))));
  return byName;
}

/** `n` rows of `columns` named values, each set in place (Object.fromEntries of entry pairs took 1.7 µs for a row of seven, this 0.4). */
function rowsOf(
  n: number,
  columns: number,
  nameOf: (column: number) => string,
  valueAt: (row: number, column: number) => commonV1.Value,
): Array<Record<string, commonV1.Value>> {
  const rows = new Array<Record<string, commonV1.Value>>(n);
  for (let r = 0; r < n; r++) {
    const row: Record<string, commonV1.Value> = {};
    for (let c = 0; c < columns; c++) row[nameOf(c)] = valueAt(r, c);
    rows[r] = row;
  }
  return rows;
}

/** Rows from an ONNX graph's own input tensors, every one given once: column j of input X is X's feature j. */
function rowsOfGraphInputs(inputs: readonly Tensor[], graphInputs: readonly OnnxInputBinding[]): Array<Record<string, commonV1.Value>> {
  const given = new Set<string>();
  inputs.forEach((t, i) => {
    if (given.has(t.name)) throw invalidArgument(`inputs[${i}].name`, `the input "${t.name}" is given twice`);
    given.add(t.name);
  });
  const missing = graphInputs.filter((g) => !given.has(g.name));
  if (missing.length > 0)
    throw invalidArgument(
      'inputs',
      `the graph's inputs ${missing.map((g) => `"${g.name}"`).join(', ')} are missing: send every one of its inputs`,
    );
  const n = inputs[0]!.shape[0]!;
  const bound = inputs.map((t, i) => {
    const input = graphInputs.find((g) => g.name === t.name)!;
    const width = input.features.length;
    const fits = t.shape[0] === n && (t.shape.length === 2 ? t.shape[1] === width : t.shape.length === 1 && width === 1);
    if (!fits) {
      const expected = width === 1 ? `[${n}] or [${n}, 1]` : `[${n}, ${width}]`;
      throw invalidArgument(
        `inputs[${i}].shape`,
        `must be ${expected}: the graph's input "${t.name}" carries ${input.features.join(', ')}`,
      );
    }
    return { tensor: t, features: input.features };
  });
  checkRows(n);
  return Array.from({ length: n }, (_, r) => {
    const row: Record<string, commonV1.Value> = {};
    for (const { tensor, features } of bound)
      features.forEach((feature, j) => (row[feature] = valueOf(tensor.data[r * features.length + j]!, tensor.datatype)));
    return row;
  });
}

function checkRows(n: number): void {
  if (n < 1 || n > MAX_INFER_ROWS) throw invalidArgument('inputs', `must hold 1 to ${MAX_INFER_ROWS} rows, got ${n}`);
}

/** The Open Inference data type of each element type an ONNX graph's input may have. */
const GRAPH_INPUT_DATATYPES: Record<OnnxInputBinding['type'], string> = {
  float32: 'FP32',
  float64: 'FP64',
  int32: 'INT32',
  int64: 'INT64',
  string: 'BYTES',
};

/**
 * How a model's inputs and outputs are described (ModelMetadata): a native model's inputs are its
 * features, one [-1] tensor each; an ONNX model's are its graph's own inputs, each [-1, k] (its k
 * features in its columns) or [-1] (rank 1) in the graph's element type. The outputs are the
 * deployer's either way: the prediction and, for a binary classifier, both classes' probabilities.
 */
export function tensorMetadata(
  features: readonly FeatureSpec[],
  task: string,
  classes: readonly (number | string)[],
  graphInputs?: readonly OnnxInputBinding[],
) {
  const inputs = graphInputs
    ? graphInputs.map((g) => ({
        name: g.name,
        datatype: GRAPH_INPUT_DATATYPES[g.type],
        shape: g.rank === 1 ? [-1] : [-1, g.features.length],
      }))
    : features.map((f) => ({ name: f.name, datatype: f.type === 'numeric' ? 'FP64' : 'BYTES', shape: [-1] }));
  const outputs = [{ name: PREDICT_OUTPUT, datatype: predictDatatype(task, classes), shape: [-1] }];
  if (task === 'binary') outputs.push({ name: PROBA_OUTPUT, datatype: 'FP64', shape: [-1, 2] });
  return { inputs, outputs };
}

function predictDatatype(task: string, classes: readonly (number | string)[]): string {
  if (task === 'regression' || classes.every((c) => typeof c === 'number')) return 'FP64';
  return isBooleanLabel(classes) ? 'BOOL' : 'BYTES';
}

/** One row's answer. */
export interface RowPrediction {
  readonly output: commonV1.Value;
  readonly probability?: number;
}

/** The output tensors of a batch, those asked for (all when none were named). */
export function outputTensors(
  rows: readonly RowPrediction[],
  task: string,
  classes: readonly (number | string)[],
  asked?: readonly string[],
): Tensor[] {
  const available = tensorMetadata([], task, classes).outputs.map((o) => o.name);
  const wanted = asked ?? available;
  wanted.forEach((name, i) => {
    if (!available.includes(name))
      throw invalidArgument(`outputs[${i}].name`, `the model has no output "${name}" (${available.join(', ')})`);
  });
  const datatype = predictDatatype(task, classes);
  return wanted.map((name) =>
    name === PROBA_OUTPUT
      ? { name, datatype: 'FP64', shape: [rows.length, 2], data: rows.flatMap((r) => [1 - (r.probability ?? NaN), r.probability ?? NaN]) }
      : {
          name,
          datatype,
          shape: [rows.length],
          data: rows.map((r) => r.output.numberValue ?? r.output.boolValue ?? r.output.stringValue ?? null),
        },
  );
}

/** Output tensors as gRPC carries them, each in the contents field of its type. */
export function grpcOutput(tensor: Tensor): inferenceV2.ModelInferResponse_InferOutputTensor {
  const contents: inferenceV2.InferTensorContents = {
    boolContents: [],
    intContents: [],
    int64Contents: [],
    uintContents: [],
    uint64Contents: [],
    fp32Contents: [],
    fp64Contents: [],
    bytesContents: [],
  };
  if (tensor.datatype === 'BOOL') contents.boolContents = tensor.data.map(Boolean);
  else if (tensor.datatype === 'BYTES') contents.bytesContents = tensor.data.map((d) => Buffer.from(String(d ?? ''), 'utf8'));
  else contents.fp64Contents = tensor.data.map((d) => Number(d));
  return { name: tensor.name, datatype: tensor.datatype, shape: [...tensor.shape], parameters: {}, contents };
}
