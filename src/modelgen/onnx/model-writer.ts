/**
 * Writes a GraphBuilder as model.onnx, with its initializers either inline (raw_data) or appended one by
 * one to an external data file beside it (required past protobuf's 2 GB limit). Each initializer's bytes are
 * produced, written and dropped before the next, so peak memory is about one tensor.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { WriteProgressListener } from '../write-progress.js';
import { ELEMENT_BYTES, type GraphBuilder, type Initializer } from './graph-builder.js';
import { DATA_LOCATION_EXTERNAL, IR_VERSION, ModelProto, type TensorMessage } from './onnx-proto.js';

/** Above this many bytes of weights, external data is used unless told otherwise. */
export const EXTERNAL_DATA_THRESHOLD = 1.5e9;

/**
 * Smaller initializers stay inline even with external data (as onnx's size_threshold does): ORT's shape
 * inference must read shape constants such as Reshape targets from the model file itself.
 */
export const INLINE_MAX_BYTES = 1024;

export interface WriteModelOptions {
  /** true: always external data; false: always inline; absent: external above EXTERNAL_DATA_THRESHOLD. */
  externalData?: boolean;
  opsetVersion?: number;
  /** Called before the first initializer and after each one is written. */
  onProgress?: WriteProgressListener;
}

export interface WrittenModel {
  modelPath: string;
  /** The external data file, when used. */
  dataPath?: string;
  weightBytes: number;
}

const byteLength = (init: Initializer) => init.dims.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[init.dataType];

export function initializerBytes(graph: GraphBuilder): number {
  let total = 0;
  for (const init of graph.initializers) total += byteLength(init);
  return total;
}

export function writeModel(
  graph: GraphBuilder,
  modelPath: string,
  options: WriteModelOptions = {},
): WrittenModel {
  const weightBytes = initializerBytes(graph);
  const external = options.externalData ?? weightBytes > EXTERNAL_DATA_THRESHOLD;
  const dataPath = external ? `${modelPath}.data` : undefined;
  const tensors: TensorMessage[] = [];
  const progress = {
    tensorsDone: 0,
    tensorsTotal: graph.initializers.length,
    bytesDone: 0,
    bytesTotal: weightBytes,
  };
  options.onProgress?.({ ...progress });
  const fd = dataPath === undefined ? undefined : openSync(dataPath, 'w');
  try {
    let offset = 0;
    for (const init of graph.initializers) {
      const bytes = init.bytes();
      const expected = byteLength(init);
      if (bytes.byteLength !== expected) {
        throw new Error(`initializer ${init.name}: ${bytes.byteLength} bytes, expected ${expected}`);
      }
      const tensor: TensorMessage = { name: init.name, dims: init.dims, dataType: init.dataType };
      if (fd === undefined || bytes.byteLength < INLINE_MAX_BYTES) {
        tensor.rawData = bytes;
      } else {
        writeAll(fd, bytes);
        tensor.dataLocation = DATA_LOCATION_EXTERNAL;
        tensor.externalData = [
          { key: 'location', value: basename(dataPath!) },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(bytes.byteLength) },
        ];
        offset += bytes.byteLength;
      }
      tensors.push(tensor);
      progress.tensorsDone++;
      progress.bytesDone += expected;
      options.onProgress?.({ ...progress });
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const opsetImport = [{ domain: '', version: options.opsetVersion ?? 17 }];
  for (const [domain, version] of graph.domains) opsetImport.push({ domain, version });
  const model = {
    irVersion: IR_VERSION,
    producerName: 'llama-endpoint',
    producerVersion: '0.1.0',
    opsetImport,
    graph: {
      name: graph.name,
      node: graph.nodes,
      initializer: tensors,
      input: graph.inputs,
      output: graph.outputs,
    },
  };
  writeFileSync(modelPath, ModelProto.encode(ModelProto.fromObject(model)).finish());
  return { modelPath, dataPath, weightBytes };
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.byteLength; ) done += writeSync(fd, bytes, done);
}
