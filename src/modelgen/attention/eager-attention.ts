/**
 * Attention from plain opset-17 ops, as Optimum exports Llama: the KV cache grows by concatenation
 * (present = concat(past, new)), the mask is built from attention_mask (padding) and positions (causal).
 * Grouped-query attention needs no copy of K/V: queries are viewed as [batch, kv_heads, group, S, hd] and
 * MatMul broadcasts each KV head over its group.
 */
import { headDim } from '../llama-config.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { DataType } from '../onnx/onnx-proto.js';
import { castTo, dimOf } from '../onnx/ops.js';
import type { AttentionContext, AttentionVariant, LayerProjections } from './attention-variant.js';

/** Scores of masked positions: finite, so a fully masked row (a padding query) gives no NaN. */
const MASKED_SCORE = -1e30;

/** [batch, 1, 1, S, T] bool: query i (absolute position P+i) may see key j ≤ P+i whose mask is 1. */
function allowedPositions(g: GraphBuilder, context: AttentionContext): string {
  return g.scope('mask', () => {
    const total = g.op('Squeeze', [dimOf(g, context.attentionMask, 1)]);
    const sequence = g.op('Squeeze', [dimOf(g, context.inputIds, 1)]);
    const past = g.op('Sub', [total, sequence]);
    const one = g.int64([1], []);
    const keyPositions = g.op('Range', [g.int64([0], []), total, one]);
    const queryPositions = g.op('Unsqueeze', [g.op('Range', [past, total, one]), g.int64([1])]);
    const causal = g.op('LessOrEqual', [keyPositions, queryPositions]);
    const padding = g.op('Unsqueeze', [
      g.op('Cast', [context.attentionMask], { attrs: { to: { i: DataType.BOOL } } }),
      g.int64([1, 2, 3]),
    ]);
    return g.op('And', [causal, padding]);
  });
}

export const eagerAttention: AttentionVariant = {
  prepare(g, context) {
    const { config, floatType } = context;
    const hd = headDim(config);
    const group = config.numHeads / config.numKvHeads;
    const allowed = allowedPositions(g, context);
    const scale = g.float([1 / Math.sqrt(hd)], []);
    const masked = g.float([MASKED_SCORE], []);
    const pastDims = ['batch_size', config.numKvHeads, 'past_sequence_length', hd];
    const presentDims = ['batch_size', config.numKvHeads, 'total_sequence_length', hd];

    return ({ layer, query, key, value }: LayerProjections) =>
      g.scope(`layers.${layer}/attn`, () => {
        const heads = (x: string, n: number) => g.op('Reshape', [x, g.int64([0, 0, n, hd])]);
        // RoPE, then [B, S, heads·hd] → [B, kv_heads, group, S, hd]
        const q = context.rope.rotate(query, config.numHeads);
        const qGrouped = g.op(
          'Transpose',
          [g.op('Reshape', [q, g.int64([0, 0, config.numKvHeads, group, hd])])],
          {
            attrs: { perm: { ints: [0, 2, 3, 1, 4] } },
          },
        );
        const toCacheLayout = (x: string) =>
          g.op('Transpose', [x], { attrs: { perm: { ints: [0, 2, 1, 3] } } });
        const k = toCacheLayout(heads(context.rope.rotate(key, config.numKvHeads), config.numKvHeads));
        const v = toCacheLayout(heads(value, config.numKvHeads));

        const cache = (kind: 'key' | 'value', fresh: string) => {
          const past = g.input(`past_key_values.${layer}.${kind}`, floatType, pastDims);
          const present = g.op('Concat', [past, fresh], {
            attrs: { axis: { i: 2 } },
            output: `present.${layer}.${kind}`,
          });
          g.output(present, floatType, presentDims);
          // [B, kv_heads, 1, T, hd]: broadcast over the query group.
          return g.op('Unsqueeze', [present, g.int64([2])]);
        };
        const keys = cache('key', k);
        const values = cache('value', v);

        const keysT = g.op('Transpose', [keys], { attrs: { perm: { ints: [0, 1, 2, 4, 3] } } });
        // Softmax in float32 whatever the model type, as Hugging Face does.
        const raw = castTo(g, g.op('MatMul', [qGrouped, keysT]), floatType, DataType.FLOAT);
        const scores = g.op('Where', [allowed, g.op('Mul', [raw, scale]), masked]);
        const probs = castTo(
          g,
          g.op('Softmax', [scores], { attrs: { axis: { i: -1 } } }),
          DataType.FLOAT,
          floatType,
        );
        const context5d = g.op('MatMul', [probs, values]);
        const bySequence = g.op('Transpose', [context5d], { attrs: { perm: { ints: [0, 3, 1, 2, 4] } } });
        return g.op('Reshape', [bySequence, g.int64([0, 0, config.hiddenSize])]);
      });
  },
};
