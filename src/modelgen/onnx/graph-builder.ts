/**
 * An ONNX graph under construction: nodes in topological order (the order they are added), inputs,
 * outputs and initializers. Initializer bytes are produced lazily, one tensor at a time, when the model is
 * written, so a graph can describe far more weights than fit in memory.
 */
import {
  type AttributeMessage,
  AttributeType,
  DataType,
  type DataTypeCode,
  type Dim,
  type NodeMessage,
  type ValueInfoMessage,
  valueInfo,
} from './onnx-proto.js';

export type AttributeValue = { i: number } | { f: number } | { ints: number[] };

export interface Initializer {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  /** Called once, when the model file is written; the result is dropped right after. */
  bytes(): Uint8Array;
}

export interface NodeOptions {
  attrs?: Record<string, AttributeValue>;
  /** Output names, or how many fresh names to make (default 1). '' marks an optional output left out. */
  outputs?: string[] | number;
  domain?: string;
}

export const ELEMENT_BYTES: Record<DataTypeCode, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
};

function attribute(name: string, value: AttributeValue): AttributeMessage {
  if ('i' in value) return { name, type: AttributeType.INT, i: value.i };
  if ('f' in value) return { name, type: AttributeType.FLOAT, f: value.f };
  return { name, type: AttributeType.INTS, ints: value.ints };
}

export class GraphBuilder {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: ValueInfoMessage[] = [];
  readonly outputs: ValueInfoMessage[] = [];
  /** Domains used besides ai.onnx, with their opset versions. */
  readonly domains = new Map<string, number>();
  private readonly constants = new Map<string, string>();
  private readonly usedNames = new Set<string>();
  private scopeName = '';

  constructor(readonly name: string) {}

  /** Names nodes and values made inside fn after a scope such as '/model/layers.3/attn'. */
  scope<T>(name: string, fn: () => T): T {
    const outer = this.scopeName;
    this.scopeName = `${outer}/${name}`;
    try {
      return fn();
    } finally {
      this.scopeName = outer;
    }
  }

  private fresh(base: string): string {
    let name = `${this.scopeName}/${base}`;
    for (let n = 1; this.usedNames.has(name); n++) name = `${this.scopeName}/${base}_${n}`;
    this.usedNames.add(name);
    return name;
  }

  input(name: string, dataType: DataTypeCode, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, dataType, dims));
    return name;
  }

  /** Declares `name` a graph output; some node must produce a value of that name. */
  output(name: string, dataType: DataTypeCode, dims: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, dataType, dims));
    return name;
  }

  initializer(name: string, dataType: DataTypeCode, dims: number[], bytes: () => Uint8Array): string {
    this.initializers.push({ name, dataType, dims, bytes });
    return name;
  }

  node(opType: string, inputs: string[], options: NodeOptions = {}): string[] {
    const nodeName = this.fresh(opType);
    const wanted = options.outputs ?? 1;
    const output =
      typeof wanted === 'number'
        ? Array.from({ length: wanted }, (_, k) => `${nodeName}/output_${k}`)
        : wanted;
    const attrs = Object.entries(options.attrs ?? {}).map(([key, value]) => attribute(key, value));
    this.nodes.push({
      name: nodeName,
      opType,
      domain: options.domain ?? '',
      input: inputs,
      output,
      attribute: attrs,
    });
    return output;
  }

  /** A single-output node. */
  op(
    opType: string,
    inputs: string[],
    options: Omit<NodeOptions, 'outputs'> & { output?: string } = {},
  ): string {
    const { output, ...rest } = options;
    return this.node(opType, inputs, { ...rest, outputs: output === undefined ? 1 : [output] })[0]!;
  }

  /** A small constant tensor as an initializer, shared by every use of the same value. */
  constant(dataType: DataTypeCode, values: readonly number[], dims: number[] = [values.length]): string {
    const key = `${dataType}:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = `/const/${this.constants.size}`;
    this.constants.set(key, name);
    return this.initializer(name, dataType, dims, () => encodeValues(dataType, values));
  }

  int64(values: readonly number[], dims?: number[]): string {
    return this.constant(DataType.INT64, values, dims);
  }

  /** A scalar (dims []) or vector of float32. */
  float(values: readonly number[], dims?: number[]): string {
    return this.constant(DataType.FLOAT, values, dims);
  }
}

function encodeValues(dataType: DataTypeCode, values: readonly number[]): Uint8Array {
  switch (dataType) {
    case DataType.INT64:
      return new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer);
    case DataType.INT32:
      return new Uint8Array(Int32Array.from(values).buffer);
    case DataType.FLOAT:
      return new Uint8Array(Float32Array.from(values).buffer);
    default:
      throw new Error(`constants of ONNX data type ${dataType} are not supported`);
  }
}
