/**
 * Attention through com.microsoft GroupQueryAttention, as the onnxruntime-genai builder writes it. Rows are
 * right-padded: attention_mask [B, T] is 1 on each sequence's positions 0..len-1, and GQA takes each row's
 * length from it (seqlens_k = row sum − 1) and total_sequence_length from its width. past_key_values.{i}.* are
 * [batch, kv_heads, past_sequence_length, head_dim] and present.{i}.* [.., max(total, past), ..]: a caller may
 * bind one max-length buffer as both (genai's past_present_share_buffer: ORT appends the new K/V in place) or
 * feed a past that grows. RoPE is applied before GQA from position_ids when the graph has them, else inside GQA
 * (do_rotary, positions from seqlens_k) from cos/sin caches, as genai's builder does.
 */
import { headDim } from '../llama-config.js';
import { DataType } from '../onnx/onnx-proto.js';
import { dimOf } from '../onnx/ops.js';
import type { AttentionVariant, LayerProjections } from './attention-variant.js';
import { MICROSOFT_DOMAIN, ropeCaches } from './rope-graph.js';

export const groupQueryAttention: AttentionVariant = {
  prepare(g, context) {
    const { config, floatType, rope } = context;
    if (!context.past) throw new Error('GroupQueryAttention graphs always have past inputs');
    g.domains.set(MICROSOFT_DOMAIN, 1);
    const hd = headDim(config);
    const toInt32 = (x: string) => g.op('Cast', [x], { attrs: { to: { i: DataType.INT32 } } });
    const { seqlensK, totalLength } = g.scope('gqa_lengths', () => {
      // seqlens_k: each row's valid length − 1 (the index of its last token), as GQA wants it.
      const lengths = g.op('ReduceSum', [context.attentionMask, g.int64([1])], {
        attrs: { keepdims: { i: 0 } },
      });
      return {
        seqlensK: toInt32(g.op('Sub', [lengths, g.int64([1], [])])),
        totalLength: toInt32(g.op('Squeeze', [dimOf(g, context.attentionMask, 1)])),
      };
    });
    const pastDims = ['batch_size', config.numKvHeads, 'past_sequence_length', hd];
    const presentDims = ['batch_size', config.numKvHeads, 'total_sequence_length', hd];
    // Rotary inside the kernel needs the caches in the model's type.
    const caches = rope === undefined ? g.scope('rope', () => ropeCaches(g, context, floatType)) : undefined;

    return ({ layer, query, key, value }: LayerProjections) =>
      g.scope(`layers.${layer}/attn`, () => {
        const past = (kind: string) => g.input(`past_key_values.${layer}.${kind}`, floatType, pastDims);
        const present = (kind: string) => g.output(`present.${layer}.${kind}`, floatType, presentDims);
        const inputs = [
          rope === undefined ? query : rope.rotate(query, config.numHeads),
          rope === undefined ? key : rope.rotate(key, config.numKvHeads),
          value,
          past('key'),
          past('value'),
          seqlensK,
          totalLength,
        ];
        if (caches !== undefined) inputs.push(caches.cos, caches.sin);
        const [output] = g.node('GroupQueryAttention', inputs, {
          domain: MICROSOFT_DOMAIN,
          attrs: {
            num_heads: { i: config.numHeads },
            kv_num_heads: { i: config.numKvHeads },
            scale: { f: 1 / Math.sqrt(hd) },
            local_window_size: { i: -1 },
            do_rotary: { i: caches === undefined ? 0 : 1 },
            rotary_interleaved: { i: 0 },
          },
          outputs: [`/layers.${layer}/attn/output`, present('key'), present('value')],
        });
        return output!;
      });
  },
};
