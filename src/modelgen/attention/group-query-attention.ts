/**
 * Attention through com.microsoft GroupQueryAttention with a shared past/present buffer, as the
 * onnxruntime-genai builder writes it: past_key_values.{i}.* and present.{i}.* are both
 * [batch, kv_heads, max_position_embeddings, head_dim], so the caller can pass one pre-allocated buffer as
 * past input and present output and ORT appends the new K/V in place. Rows are right-padded:
 * attention_mask [B, T] is 1 on each sequence's positions 0..len-1; GQA takes the lengths from it.
 * RoPE is applied before GQA from position_ids, by the same Rope as the eager variant.
 */
import { headDim } from '../llama-config.js';
import { DataType } from '../onnx/onnx-proto.js';
import { dimOf } from '../onnx/ops.js';
import type { AttentionVariant, LayerProjections } from './attention-variant.js';
import { MICROSOFT_DOMAIN } from './rope-graph.js';

export const groupQueryAttention: AttentionVariant = {
  prepare(g, context) {
    const { config, floatType } = context;
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
    const cacheDims = ['batch_size', config.numKvHeads, config.maxPositions, hd];

    return ({ layer, query, key, value }: LayerProjections) =>
      g.scope(`layers.${layer}/attn`, () => {
        const past = (kind: string) => g.input(`past_key_values.${layer}.${kind}`, floatType, cacheDims);
        const present = (kind: string) => g.output(`present.${layer}.${kind}`, floatType, cacheDims);
        const [output] = g.node(
          'GroupQueryAttention',
          [
            context.rope.rotate(query, config.numHeads),
            context.rope.rotate(key, config.numKvHeads),
            value,
            past('key'),
            past('value'),
            seqlensK,
            totalLength,
          ],
          {
            domain: MICROSOFT_DOMAIN,
            attrs: {
              num_heads: { i: config.numHeads },
              kv_num_heads: { i: config.numKvHeads },
              scale: { f: 1 / Math.sqrt(hd) },
            },
            outputs: [`/layers.${layer}/attn/output`, present('key'), present('value')],
          },
        );
        return output!;
      });
  },
};
