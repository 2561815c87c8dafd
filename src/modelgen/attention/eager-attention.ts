/**
 * Attention from plain opset-17 ops, as Optimum exports Llama: the KV cache grows by concatenation
 * (present = concat(past, new)), the mask is built from attention_mask (padding) and positions (causal).
 * Grouped-query attention needs no copy of K/V: queries are viewed as [batch, kv_heads, group, S, hd] and
 * MatMul broadcasts each KV head over its group. Scores and weighted values are computed over past and new
 * keys separately, so attention itself never copies the cache; only the present outputs concatenate it, and
 * a graph built with newKeyValues returns only this run's K/V (new_key_values) instead of present, for an
 * engine that keeps the cache itself.
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

/** Keys and values attended to together, each [B, kv_heads, T, hd]. */
interface KvBlock {
  keys: string;
  values: string;
}

export const eagerAttention: AttentionVariant = {
  prepare(g, context) {
    const { config, floatType } = context;
    const hd = headDim(config);
    const group = config.numHeads / config.numKvHeads;
    const allowed = allowedPositions(g, context);
    const pastLength = g.scope('mask', () =>
      g.op('Sub', [dimOf(g, context.attentionMask, 1), dimOf(g, context.inputIds, 1)]),
    );
    const scale = g.float([1 / Math.sqrt(hd)], []);
    const masked = g.float([MASKED_SCORE], []);
    const pastDims = ['batch_size', config.numKvHeads, 'past_sequence_length', hd];
    const presentDims = ['batch_size', config.numKvHeads, 'total_sequence_length', hd];
    const newDims = ['batch_size', config.numKvHeads, 'sequence_length', hd];

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
        // This run's K/V in the cache layout [B, kv_heads, S, hd]; with newKeyValues, graph outputs too.
        const fresh = (x: string, kind: 'key' | 'value') => {
          const perm = { perm: { ints: [0, 2, 1, 3] } };
          if (!context.newKeyValues) return g.op('Transpose', [x], { attrs: perm });
          const name = `new_key_values.${layer}.${kind}`;
          g.output(name, floatType, newDims);
          return g.op('Transpose', [x], { attrs: perm, output: name });
        };
        const k = fresh(heads(context.rope.rotate(key, config.numKvHeads), config.numKvHeads), 'key');
        const v = fresh(heads(value, config.numKvHeads), 'value');
        const past = (kind: 'key' | 'value') =>
          g.input(`past_key_values.${layer}.${kind}`, floatType, pastDims);
        const present = (kind: 'key' | 'value', pastValues: string, newValues: string) =>
          g.output(
            g.op('Concat', [pastValues, newValues], {
              attrs: { axis: { i: 2 } },
              output: `present.${layer}.${kind}`,
            }),
            floatType,
            presentDims,
          );
        // ONNX Runtime runs every node whether its output is fetched or not, so a graph that returns only
        // the new K/V attends to past and new as two blocks and never concatenates the cache.
        const blocks: KvBlock[] = context.newKeyValues
          ? [
              { keys: past('key'), values: past('value') },
              { keys: k, values: v },
            ]
          : [{ keys: present('key', past('key'), k), values: present('value', past('value'), v) }];

        // [B, kv_heads, 1, T, hd]: broadcast over the query group.
        const grouped = (x: string) => g.op('Unsqueeze', [x, g.int64([2])]);
        const blockScores = blocks.map(({ keys }) =>
          g.op('MatMul', [
            qGrouped,
            g.op('Transpose', [grouped(keys)], { attrs: { perm: { ints: [0, 1, 2, 4, 3] } } }),
          ]),
        );
        const joined =
          blockScores.length === 1
            ? blockScores[0]!
            : g.op('Concat', blockScores, { attrs: { axis: { i: -1 } } });
        // Softmax in float32 whatever the model type, as Hugging Face does.
        const raw = castTo(g, joined, floatType, DataType.FLOAT);
        const scores = g.op('Where', [allowed, g.op('Mul', [raw, scale]), masked]);
        const probs = castTo(
          g,
          g.op('Softmax', [scores], { attrs: { axis: { i: -1 } } }),
          DataType.FLOAT,
          floatType,
        );
        const weighted = (blockProbs: string, block: KvBlock) =>
          g.op('MatMul', [blockProbs, grouped(block.values)]);
        let context5d: string;
        if (blocks.length === 1) context5d = weighted(probs, blocks[0]!);
        else {
          const lastAxis = g.int64([-1]);
          const end = g.int64([Number.MAX_SAFE_INTEGER]);
          context5d = g.op('Add', [
            weighted(g.op('Slice', [probs, g.int64([0]), pastLength, lastAxis]), blocks[0]!),
            weighted(g.op('Slice', [probs, pastLength, end, lastAxis]), blocks[1]!),
          ]);
        }
        const bySequence = g.op('Transpose', [context5d], { attrs: { perm: { ints: [0, 3, 1, 2, 4] } } });
        return g.op('Reshape', [bySequence, g.int64([0, 0, config.hiddenSize])]);
      });
  },
};
