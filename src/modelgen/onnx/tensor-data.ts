/** One initializer's values, read from model.onnx (inline) or from its external data file, one at a time. */
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { float16ToFloat32 } from '../../engine/float16.js';
import type { ReadTensor } from './model-reader.js';
import { DataType } from './onnx-proto.js';

function tensorBytes(modelPath: string, tensor: ReadTensor): Uint8Array {
  if (!tensor.external) {
    if (!tensor.inline) throw new Error(`initializer ${tensor.name} has no data`);
    return tensor.inline;
  }
  const { location, offset, length } = tensor.external;
  const bytes = new Uint8Array(length);
  const fd = openSync(join(dirname(modelPath), location), 'r');
  try {
    for (let done = 0; done < length; ) {
      const read = readSync(fd, bytes, done, length - done, offset + done);
      if (read === 0)
        throw new Error(`${location} ends before initializer ${tensor.name} (offset ${offset})`);
      done += read;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** A float32 or float16 initializer as a fresh Float32Array. */
export function readFloatTensor(modelPath: string, tensor: ReadTensor): Float32Array {
  const bytes = tensorBytes(modelPath, tensor);
  // A copy (Uint8Array.from, not Buffer#slice, which shares): inline bytes may be unaligned slices of the model file.
  const aligned = tensor.external ? bytes : Uint8Array.from(bytes);
  if (tensor.dataType === DataType.FLOAT) return new Float32Array(aligned.buffer);
  if (tensor.dataType === DataType.FLOAT16) return float16ToFloat32(new Uint16Array(aligned.buffer));
  throw new Error(`initializer ${tensor.name} is not float32 or float16 (ONNX data type ${tensor.dataType})`);
}
