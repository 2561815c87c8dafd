/**
 * A linear layer as com.microsoft MatMulNBits (4-bit weights, block-wise scales): the node onnxruntime-genai's
 * int4 models use and ONNX Runtime's CPU provider runs with int8 compute (accuracy_level 4). Reusable by any
 * graph builder: give it the float weight lazily and it quantizes when the model is written.
 */
import { MICROSOFT_DOMAIN } from '../attention/rope-graph.js';
import { floatTensorBytes } from '../onnx/float-tensor.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { DataType, type DataTypeCode } from '../onnx/onnx-proto.js';
import {
  blocksPerColumn,
  type Int4Blocks,
  quantizeInt4,
  validateBlockSize,
  zeroPointBytesPerColumn,
} from './block-quantize.js';

export interface Int4Options {
  /** Values per scale along K (default 32). */
  blockSize: number;
  /**
   * MatMulNBits accuracy_level: the least precision the kernel may compute in. 4 = int8 (activations quantized
   * per block too), 0 = as the input type. ONNX Runtime's CPU kernel is ~2× faster at 4 (ENGINE_NOTES.md).
   */
  accuracyLevel: number;
  /** true: no zero points (zero point 8); false: a 4-bit zero point per block. */
  symmetric: boolean;
}

export const DEFAULT_INT4: Int4Options = { blockSize: 32, accuracyLevel: 4, symmetric: true };

/** config.json's quantization_config for a model written with these options (for people and tools reading it). */
export function quantizationConfig(options: Int4Options): Record<string, unknown> {
  return {
    quant_method: 'matmul_nbits',
    bits: 4,
    block_size: options.blockSize,
    accuracy_level: options.accuracyLevel,
    symmetric: options.symmetric,
  };
}

export interface LinearInt4 {
  /** The weight's name: initializers are `<name>.int4`, `<name>.scales` and `<name>.zero_points`. */
  name: string;
  /** Input features (K) and output features (N). */
  inFeatures: number;
  outFeatures: number;
  /** The float weight as MatMul's B, [in, out]; called once, when the model is written. */
  weight: () => Float32Array;
  /** The type of the activations and of the scales. */
  floatType: DataTypeCode;
}

/** x [.., in] → [.., out] through MatMulNBits; `output` names the result (default: a fresh name). */
export function matMulNBits(
  g: GraphBuilder,
  x: string,
  linear: LinearInt4,
  options: Int4Options,
  output?: string,
): string {
  validateBlockSize(options.blockSize);
  const layout = { k: linear.inFeatures, n: linear.outFeatures, blockSize: options.blockSize };
  const blocks = blocksPerColumn(layout);
  // The three initializers are written one after another: quantize once for the first, drop after the last.
  const parts = options.symmetric ? 2 : 3;
  let quantized: Int4Blocks | undefined;
  let taken = 0;
  const part = (pick: (q: Int4Blocks) => Uint8Array) => () => {
    quantized ??= quantizeInt4(linear.weight(), layout, options.symmetric);
    const bytes = pick(quantized);
    if (++taken === parts) quantized = undefined;
    return bytes;
  };
  const inputs = [
    x,
    g.initializer(
      `${linear.name}.int4`,
      DataType.UINT8,
      [layout.n, blocks, options.blockSize / 2],
      part((q) => q.codes),
    ),
    g.initializer(
      `${linear.name}.scales`,
      linear.floatType,
      [layout.n, blocks],
      part((q) => floatTensorBytes(q.scales, linear.floatType)),
    ),
  ];
  if (!options.symmetric) {
    inputs.push(
      g.initializer(
        `${linear.name}.zero_points`,
        DataType.UINT8,
        [layout.n, zeroPointBytesPerColumn(layout)],
        part((q) => q.zeroPoints!),
      ),
    );
  }
  g.domains.set(MICROSOFT_DOMAIN, 1);
  return g.op('MatMulNBits', inputs, {
    output,
    domain: MICROSOFT_DOMAIN,
    attrs: {
      K: { i: layout.k },
      N: { i: layout.n },
      bits: { i: 4 },
      block_size: { i: options.blockSize },
      accuracy_level: { i: options.accuracyLevel },
    },
  });
}
