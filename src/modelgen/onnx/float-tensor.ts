/** Float weights as initializer bytes of the model's float type (float32 or float16 bits). */
import { toFloat16Array } from './float16.js';
import { DataType, type DataTypeCode } from './onnx-proto.js';

export function floatTensorBytes(values: Float32Array, floatType: DataTypeCode): Uint8Array {
  const typed = floatType === DataType.FLOAT16 ? toFloat16Array(values) : values;
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}
