/** The graph flags shared by the convert and create-random commands. */
import { existsSync } from 'node:fs';
import { DEFAULT_INT4, type Int4Options } from '../modelgen/int4/matmul-nbits.js';
import { type LlamaGraphOptions, SERVING_GRAPH } from '../modelgen/llama-graph.js';
import { intFlag, oneOfFlag } from './command.js';
import { UsageError } from './usage-error.js';

export const GRAPH_FLAGS = {
  dtype: { type: 'string' },
  logits: { type: 'string' },
  attention: { type: 'string' },
  ops: { type: 'string' },
  'kv-outputs': { type: 'string' },
} as const;

/** What each graph flag does, for the commands' --help. */
export const GRAPH_HELP = [
  '  --dtype float32|float16   weights, activations, KV cache and logits (default float32; ONNX Runtime on the',
  '                            CPU computes float16 weights as float32, so float16 saves disk, not memory)',
  '  --logits last|all         logits of the last position only (default), or of every position',
  '  --kv-outputs new|present  new: each run returns only its own keys/values, which the server writes into',
  "                            its cache in place (default); present: past + new, Optimum's outputs",
  '  --attention eager|gqa     eager: plain ops (default); gqa: com.microsoft GroupQueryAttention with a shared',
  '                            past/present buffer (needs --kv-outputs present; the server refuses it)',
  '  --ops fused|plain         fused: ONNX Runtime SimplifiedLayerNormalization and RotaryEmbedding (default);',
  '                            plain: opset-17 ops only',
  '  --external-data           weights in model.onnx.data beside model.onnx (default: only above 1.5 GB)',
].join('\n');

export function graphOptions(values: {
  dtype?: string;
  logits?: string;
  attention?: string;
  ops?: string;
  'kv-outputs'?: string;
}): LlamaGraphOptions {
  const attention = oneOfFlag('attention', values.attention, ['eager', 'gqa'], 'eager');
  // GroupQueryAttention keeps its own shared buffer: it returns present, never new K/V alone.
  const kvOutputs = oneOfFlag(
    'kv-outputs',
    values['kv-outputs'],
    ['present', 'new'],
    attention === 'gqa' ? 'present' : SERVING_GRAPH.kvOutputs!,
  );
  if (attention === 'gqa' && kvOutputs === 'new') {
    throw new UsageError('--kv-outputs new needs --attention eager (gqa returns its shared present buffer)');
  }
  return {
    dtype: oneOfFlag('dtype', values.dtype, ['float32', 'float16'], 'float32'),
    logits: oneOfFlag('logits', values.logits, ['all', 'last'], SERVING_GRAPH.logits!),
    attention,
    fused:
      oneOfFlag('ops', values.ops, ['fused', 'plain'], SERVING_GRAPH.fused ? 'fused' : 'plain') === 'fused',
    kvOutputs,
  };
}

/** An input file that must exist: a missing one is the user's to fix (exit 2). */
export function existingFile(flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`--${flag}: no such file '${path}'`);
  return path;
}

/** The int4 settings, for `quantize` and for `--quantize int4` on convert and create-random. */
export const INT4_FLAGS = {
  'block-size': { type: 'string' },
  'accuracy-level': { type: 'string' },
  'zero-points': { type: 'boolean' },
} as const;

export const INT4_USAGE = '[--block-size 32] [--accuracy-level 4] [--zero-points]';

export function int4Options(values: {
  'block-size'?: string;
  'accuracy-level'?: string;
  'zero-points'?: boolean;
}): Int4Options {
  const blockSize = intFlag('block-size', values['block-size'], DEFAULT_INT4.blockSize, 16, 256);
  if ((blockSize & (blockSize - 1)) !== 0) {
    throw new UsageError(`--block-size must be a power of two from 16 to 256, got ${blockSize}`);
  }
  return {
    blockSize,
    accuracyLevel: intFlag('accuracy-level', values['accuracy-level'], DEFAULT_INT4.accuracyLevel, 0, 4),
    symmetric: values['zero-points'] !== true,
  };
}

/** `--quantize int4` and its settings on a command that writes a model. */
export const QUANTIZE_FLAGS = { quantize: { type: 'string' }, ...INT4_FLAGS } as const;

export const QUANTIZE_HELP = [
  '  --quantize int4           every linear layer (attention, MLP, lm_head) as com.microsoft MatMulNBits with',
  '                            4-bit weights; the embedding stays float (default: none)',
  '  --block-size N            int4: weights per scale along the input, a power of two (default 32)',
  '  --accuracy-level N        int4: 4 lets ONNX Runtime compute in int8 (default, ~2x faster on CPU); 0 in float',
  '  --zero-points             int4: a zero point per block (default: symmetric, none)',
].join('\n');

export function quantizeOption(
  values: Parameters<typeof int4Options>[0] & { quantize?: string },
): Int4Options | undefined {
  const quantize = oneOfFlag('quantize', values.quantize, ['none', 'int4'], 'none');
  const settings = Object.keys(INT4_FLAGS).filter(
    (flag) => flag in values && values[flag as keyof typeof values] !== undefined,
  );
  if (quantize === 'none' && settings.length > 0) {
    throw new UsageError(`--${settings[0]} needs --quantize int4`);
  }
  return quantize === 'int4' ? int4Options(values) : undefined;
}
