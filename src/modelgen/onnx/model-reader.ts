/** Reads a model.onnx back (graph structure, initializer metadata and inline bytes): for tests, inspection and quantize. */
import { readFileSync } from 'node:fs';
import { ModelProto } from './onnx-proto.js';

export interface ReadTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Byte length of raw_data when inline, or the external_data entries. */
  rawBytes: number;
  /** raw_data, when the bytes are in model.onnx itself. */
  inline?: Uint8Array;
  external?: { location: string; offset: number; length: number };
}

export interface ReadModel {
  producerName: string;
  opsets: { domain: string; version: number }[];
  inputs: { name: string; elemType: number; dims: (number | string)[] }[];
  outputs: { name: string; elemType: number; dims: (number | string)[] }[];
  initializers: ReadTensor[];
  opTypes: string[];
}

interface DecodedDim {
  dimValue?: number;
  dimParam?: string;
}
interface DecodedValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape?: { dim?: DecodedDim[] } } };
}
interface DecodedModel {
  producerName?: string;
  opsetImport: { domain?: string; version: number }[];
  graph: {
    node?: { opType: string }[];
    input?: DecodedValueInfo[];
    output?: DecodedValueInfo[];
    initializer?: {
      name: string;
      dims?: number[];
      dataType: number;
      rawData?: Uint8Array;
      externalData?: { key: string; value: string }[];
    }[];
  };
}

const valueInfo = (v: DecodedValueInfo) => ({
  name: v.name,
  elemType: v.type.tensorType.elemType,
  dims: (v.type.tensorType.shape?.dim ?? []).map((d) => d.dimParam ?? Number(d.dimValue)),
});

export function readModel(modelPath: string): ReadModel {
  const message = ModelProto.decode(readFileSync(modelPath));
  const model = ModelProto.toObject(message, { longs: Number, defaults: false }) as DecodedModel;
  return {
    producerName: model.producerName ?? '',
    opsets: model.opsetImport.map((o) => ({ domain: o.domain ?? '', version: o.version })),
    inputs: (model.graph.input ?? []).map(valueInfo),
    outputs: (model.graph.output ?? []).map(valueInfo),
    opTypes: (model.graph.node ?? []).map((n) => n.opType),
    initializers: (model.graph.initializer ?? []).map((t) => {
      const entries = new Map((t.externalData ?? []).map((e) => [e.key, e.value]));
      return {
        name: t.name,
        dims: t.dims ?? [],
        dataType: t.dataType,
        rawBytes: t.rawData?.byteLength ?? 0,
        inline: t.rawData,
        external: entries.has('location')
          ? {
              location: entries.get('location')!,
              offset: Number(entries.get('offset') ?? 0),
              length: Number(entries.get('length')),
            }
          : undefined,
      };
    }),
  };
}
