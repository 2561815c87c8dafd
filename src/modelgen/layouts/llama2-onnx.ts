/**
 * The microsoft/Llama-2-Onnx release's later interface (batch 1), as its examples drive it:
 * - inputs `tokens` int64 [1, S] and `position_ids` [1, S] (the prompt, first run), `tokens_increment` and
 *   `position_ids_increment` int64 [1, 1] (the fed token and its 0-based position, later runs),
 *   `use_cache_branch` bool [1] (false on the first run), `attn_mask` int32 [1, W] and `cache.{i}.key|value`
 *   [1, kv_heads, W, head_dim], W a multiple of 512;
 * - outputs `logits` [1, vocab] (the last position), `attn_mask_out` (the next run's mask), then the caches,
 *   key then value per layer.
 * The cache is a window of W positions, right-aligned: a run drops its S oldest columns and appends its own
 * K/V. attn_mask marks the positions this run attends to after that shift (the past and the run's tokens), 1
 * for real ones; attn_mask_out is it shifted by one with a 1 appended, the mask for one more token. When the
 * sequence would fill the window, the caller left-pads mask and caches by another 512.
 */

import { eagerAttention } from '../attention/eager-attention.js';
import type { LlamaConfig } from '../llama-config.js';
import { headDim } from '../llama-config.js';
import { buildDecoder, type LlamaGraphOptions } from '../llama-graph.js';
import type { WeightSource } from '../llama-weights.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { ifBranch } from '../onnx/if-branch.js';
import { DataType } from '../onnx/onnx-proto.js';

/** The window grows in steps of this many positions. */
export const LLAMA2_ONNX_PADDING = 512;

/** `ONNX/LlamaV2_<variant>.onnx` beside `tokenizer.model` at the release root. */
export const llama2OnnxModelPath = (variant: string) => `ONNX/LlamaV2_${variant}.onnx`;

/** One If branch passing two outer values through as (ids, positions). */
function passThrough(ids: string, positions: string): GraphBuilder {
  const b = new GraphBuilder('select');
  b.output(b.op('Identity', [ids], { output: 'ids' }), DataType.INT64, [1, 'run_length']);
  b.output(b.op('Identity', [positions], { output: 'positions' }), DataType.INT64, [1, 'run_length']);
  return b;
}

export function buildLlama2OnnxGraph(
  config: LlamaConfig,
  weights: WeightSource,
  options: Pick<LlamaGraphOptions, 'dtype' | 'fused'> = {},
): GraphBuilder {
  const g = new GraphBuilder('llama2_onnx');
  const floatType = options.dtype === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
  const tokens = g.input('tokens', DataType.INT64, [1, 'seq_len']);
  const positionIds = g.input('position_ids', DataType.INT64, [1, 'seq_len']);
  const attnMask = g.input('attn_mask', DataType.INT32, [1, 'max_seq_len']);
  const tokensIncrement = g.input('tokens_increment', DataType.INT64, [1, 'seq_len_increment']);
  const positionsIncrement = g.input('position_ids_increment', DataType.INT64, [1, 'seq_len_increment']);
  const useCacheBranch = g.input('use_cache_branch', DataType.BOOL, [1]);
  g.output('logits', floatType, [1, config.vocabSize]);
  const maskOut = g.output('attn_mask_out', DataType.INT32, [1, 'max_seq_len']);

  const outer = new Set(g.inputs.map((input) => input.name));
  const [ids, positions] = g.node('If', [useCacheBranch], {
    attrs: {
      then_branch: { g: ifBranch(passThrough(tokensIncrement, positionsIncrement), '/increment', outer) },
      else_branch: { g: ifBranch(passThrough(tokens, positionIds), '/prompt', outer) },
    },
    outputs: ['/run/ids', '/run/positions'],
  });
  const end = g.int64([Number.MAX_SAFE_INTEGER]);
  g.op(
    'Concat',
    [g.op('Slice', [attnMask, g.int64([1]), end, g.int64([1])]), g.constant(DataType.INT32, [1], [1, 1])],
    {
      attrs: { axis: { i: 1 } },
      output: maskOut,
    },
  );
  const cacheDims = [1, config.numKvHeads, 'max_seq_len', headDim(config)];
  buildDecoder(g, config, weights, {
    ...options,
    logits: 'last',
    inputs: { inputIds: ids!, attentionMask: attnMask, positionIds: positions! },
    attention: eagerAttention,
    logitsOutput: '/logits_3d',
    fixedWidthCache: {
      pastName: (layer, kind) => `cache.${layer}.${kind}`,
      presentName: (layer, kind) => `cache_out.${layer}.${kind}`,
      dims: cacheDims,
    },
  });
  g.op('Reshape', ['/logits_3d', g.int64([1, config.vocabSize])], { output: 'logits' });
  return g;
}
