import {
  type AttributeProto,
  AttributeProto_AttributeType,
  type NodeProto,
  type TensorProto,
  TensorProto_DataType,
  type ValueInfoProto,
} from '../generated/onnx-ml';

/** The domain of ONNX's classical machine-learning operators (trees, linear models, encoders). */
export const ML_DOMAIN = 'ai.onnx.ml';

const UTF8 = new TextEncoder();

export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly string: string }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly strings: readonly string[] }
  | { readonly tensor: TensorProto };

function attribute(name: string, value: AttributeValue): AttributeProto {
  const a: AttributeProto = { name, floats: [], ints: [], strings: [], tensors: [], graphs: [], sparseTensors: [], typeProtos: [] };
  if ('int' in value) return { ...a, type: AttributeProto_AttributeType.INT, i: value.int };
  if ('float' in value) return { ...a, type: AttributeProto_AttributeType.FLOAT, f: value.float };
  if ('string' in value) return { ...a, type: AttributeProto_AttributeType.STRING, s: UTF8.encode(value.string) };
  if ('ints' in value) return { ...a, type: AttributeProto_AttributeType.INTS, ints: [...value.ints] };
  if ('floats' in value) return { ...a, type: AttributeProto_AttributeType.FLOATS, floats: [...value.floats] };
  if ('strings' in value) return { ...a, type: AttributeProto_AttributeType.STRINGS, strings: value.strings.map((s) => UTF8.encode(s)) };
  return { ...a, type: AttributeProto_AttributeType.TENSOR, t: value.tensor };
}

function emptyTensor(name: string, dataType: TensorProto_DataType, dims: readonly number[]): TensorProto {
  return {
    name,
    dataType,
    dims: [...dims],
    floatData: [],
    int32Data: [],
    stringData: [],
    int64Data: [],
    doubleData: [],
    uint64Data: [],
    externalData: [],
  };
}

/** A tensor of doubles, in row-major order. */
export function doubleTensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): TensorProto {
  return { ...emptyTensor(name, TensorProto_DataType.DOUBLE, dims), doubleData: [...values] };
}

export function int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): TensorProto {
  return { ...emptyTensor(name, TensorProto_DataType.INT64, dims), int64Data: [...values] };
}

export function stringTensor(name: string, values: readonly string[], dims: readonly number[] = [values.length]): TensorProto {
  return { ...emptyTensor(name, TensorProto_DataType.STRING, dims), stringData: values.map((s) => UTF8.encode(s)) };
}

/** A tensor input or output: `dims` are sizes, or names for sizes known only at run time (the batch). */
export function tensorValue(name: string, elemType: TensorProto_DataType, dims: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Nodes, constants and fresh value names for one graph. Every intermediate value gets a unique
 * name from {@link value}, so steps written independently (one per feature) cannot collide.
 */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();

  /** Reserves `name` (a graph input or output) so no intermediate value takes it. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`duplicate value name "${name}"`);
    this.used.add(name);
    return name;
  }

  /** A fresh value name starting with `hint`. */
  value(hint: string): string {
    let name = hint;
    for (let k = 1; this.used.has(name); k++) name = `${hint}_${k}`;
    this.used.add(name);
    return name;
  }

  /** A constant, as an initializer; returns its value name. */
  constant(hint: string, make: (name: string) => TensorProto): string {
    const name = this.value(hint);
    this.initializers.push(make(name));
    return name;
  }

  /** Appends a node; `outputs` are written by it and returned, fresh names unless given. */
  node(
    opType: string,
    inputs: readonly string[],
    options: { readonly outputs?: readonly string[]; readonly domain?: string; readonly attributes?: Record<string, AttributeValue> } = {},
  ): string[] {
    const outputs = options.outputs ? [...options.outputs] : [this.value(opType.toLowerCase())];
    this.nodes.push({
      name: this.value(`${opType}_node`),
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(options.attributes ?? {}).map(([name, v]) => attribute(name, v)),
    });
    return outputs;
  }

  /** {@link node} with its single output. */
  op(opType: string, inputs: readonly string[], attributes?: Record<string, AttributeValue>, domain?: string): string {
    return this.node(opType, inputs, { attributes, domain })[0];
  }
}
