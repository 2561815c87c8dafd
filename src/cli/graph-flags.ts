/** The graph flags shared by the convert and create-random commands. */
import { existsSync } from 'node:fs';
import { MODEL_LAYOUTS, type ModelLayout } from '../engine/model-files.js';
import { type LlamaGraphOptions, SERVING_GRAPH } from '../modelgen/llama-graph.js';
import { oneOfFlag } from './command.js';
import { UsageError } from './usage-error.js';

export const GRAPH_FLAGS = {
  dtype: { type: 'string' },
  logits: { type: 'string' },
  attention: { type: 'string' },
  ops: { type: 'string' },
  'kv-outputs': { type: 'string' },
  layout: { type: 'string' },
} as const;

/** What each graph flag does, for the commands' --help. */
export const GRAPH_HELP = [
  '  --dtype float32|float16   weights, activations, KV cache and logits (default float32; ONNX Runtime on the',
  '                            CPU computes float16 weights as float32, so float16 saves disk, not memory)',
  '  --logits last|all         logits of the last position only (default), or of every position',
  '  --kv-outputs new|present  new: each run returns only its own keys/values, which the server writes into',
  "                            its cache in place (default); present: past + new, Optimum's outputs",
  '  --attention eager|gqa     eager: plain ops (default); gqa: com.microsoft GroupQueryAttention, rows',
  '                            right-padded, as onnxruntime-genai writes it (needs --kv-outputs present)',
  '  --layout L                optimum (default: model.onnx), optimum-merged (decoder_model_merged.onnx with',
  '                            use_cache_branch), genai (GroupQueryAttention + genai_config.json) or',
  '                            llama2-onnx (the microsoft/Llama-2-Onnx release); --attention and --kv-outputs',
  '                            apply to optimum only',
  '  --ops fused|plain         fused: ONNX Runtime SimplifiedLayerNormalization and RotaryEmbedding (default);',
  '                            plain: opset-17 ops only',
  '  --external-data           weights in model.onnx.data beside model.onnx (default: only above 1.5 GB)',
].join('\n');
/**
 * --layout: which export to imitate (default optimum). The graph flags other than --dtype, --ops and --logits
 * shape the optimum layout only: the others fix their attention and outputs.
 */
export function layoutFlag(values: {
  layout?: string;
  attention?: string;
  'kv-outputs'?: string;
}): ModelLayout {
  const layout = oneOfFlag('layout', values.layout, MODEL_LAYOUTS, 'optimum');
  for (const flag of ['attention', 'kv-outputs'] as const) {
    if (layout !== 'optimum' && values[flag] !== undefined) {
      throw new UsageError(`--${flag} applies to --layout optimum only, not ${layout}`);
    }
  }
  return layout;
}

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
