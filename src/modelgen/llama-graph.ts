/**
 * The Llama-2 decoder as an ONNX graph with Optimum's I/O names (input_ids, attention_mask, position_ids,
 * past_key_values.{i}.key|value → logits, present.{i}.key|value). Weights come from a WeightSource and are
 * read only when the model is written.
 */
import type { AttentionVariant } from './attention/attention-variant.js';
import { eagerAttention } from './attention/eager-attention.js';
import { groupQueryAttention } from './attention/group-query-attention.js';
import { fusedRope, plainRope } from './attention/rope-graph.js';
import { type Int4Options, matMulNBits } from './int4/matmul-nbits.js';
import { type LlamaConfig, validateLlamaConfig, type WeightDtype } from './llama-config.js';
import { layerPrefix, transpose, type WeightSource } from './llama-weights.js';
import { floatTensorBytes } from './onnx/float-tensor.js';
import { GraphBuilder } from './onnx/graph-builder.js';
import { DataType, type DataTypeCode } from './onnx/onnx-proto.js';
import { castTo } from './onnx/ops.js';

/** 'eager': plain ops, growing KV cache (Optimum). 'gqa': com.microsoft GroupQueryAttention, shared fixed-size KV buffer (onnxruntime-genai). */
export type AttentionKind = 'eager' | 'gqa';

export interface LlamaGraphOptions {
  /** Weights, activations, KV cache and logits. float16 runs on the CPU provider too. */
  dtype?: WeightDtype;
  /** 'last': logits only for the final position ([B,1,vocab]), which saves the LM head on prefill. */
  logits?: 'all' | 'last';
  attention?: AttentionKind;
  /** Fused kernels: SimplifiedLayerNormalization for RMSNorm, com.microsoft RotaryEmbedding for RoPE. */
  fused?: boolean;
  /**
   * 'present' (Optimum): present.{i}.key|value = past + new, [B, kv_heads, P+S, hd]. 'new' (eager attention
   * only): new_key_values.{i}.key|value [B, kv_heads, S, hd], this run's keys and values alone, for an engine
   * that keeps the cache in place: a step then neither concatenates nor returns the whole cache.
   */
  kvOutputs?: KvOutputs;
  /**
   * Every linear layer (attention, MLP, LM head) as com.microsoft MatMulNBits with 4-bit block-quantized
   * weights; the embedding stays float (a Gather reads only the rows it needs). Absent: float MatMul.
   */
  int4?: Int4Options;
}

export type KvOutputs = 'present' | 'new';

/**
 * What create-random, convert and the demo model write unless told otherwise: the graph this server runs
 * fastest (measured in BENCHMARKS.md): new K/V only, for the engine's in-place cache; logits only for the
 * last position, so a prefill skips the LM head for every other token; and the fused RMSNorm and RoPE kernels
 * (faster than plain ops on the CPU provider, and what onnxruntime-genai writes for CUDA).
 */
export const SERVING_GRAPH: LlamaGraphOptions = { logits: 'last', kvOutputs: 'new', fused: true };

const ATTENTION: Record<AttentionKind, AttentionVariant> = {
  eager: eagerAttention,
  gqa: groupQueryAttention,
};

function floatTypeOf(dtype: WeightDtype): DataTypeCode {
  return dtype === 'float16' ? DataType.FLOAT16 : DataType.FLOAT;
}

export function buildLlamaGraph(config: LlamaConfig, weights: WeightSource, options: LlamaGraphOptions = {}) {
  validateLlamaConfig(config);
  const floatType = floatTypeOf(options.dtype ?? 'float32');
  const g = new GraphBuilder('llama');
  const inputIds = g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  const positionIds = g.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const logitsLength = options.logits === 'last' ? 1 : 'sequence_length';
  g.output('logits', floatType, ['batch_size', logitsLength, config.vocabSize]);

  const vector = (name: string) =>
    g.initializer(name, floatType, [config.hiddenSize], () =>
      floatTensorBytes(weights.tensor(name), floatType),
    );
  /** A linear layer's weight as MatMul's B, [in, out]. */
  const weightInOut = (name: string, out: number, inFeatures: number) =>
    weights.transposed?.(name) ?? transpose(weights.tensor(name), out, inFeatures);
  /** x·Wᵀ: a float MatMul on the weight stored transposed as `<name>.T`, or MatMulNBits. */
  const linear = (x: string, name: string, out: number, inFeatures: number, output?: string) => {
    if (options.int4) {
      const weight = () => weightInOut(name, out, inFeatures);
      const layer = { name, inFeatures, outFeatures: out, weight, floatType };
      return matMulNBits(g, x, layer, options.int4, output);
    }
    const stored = g.initializer(`${name}.T`, floatType, [inFeatures, out], () =>
      floatTensorBytes(weightInOut(name, out, inFeatures), floatType),
    );
    return g.op('MatMul', [x, stored], { output });
  };

  /** RMSNorm in float32 (as HF), scaled by the weight in the model's type. */
  const rmsNorm = (x: string, weightName: string) =>
    g.scope(weightName, () => {
      if (options.fused) {
        const attrs = { axis: { i: -1 }, epsilon: { f: config.rmsNormEps }, stash_type: { i: 1 } };
        return g.op('SimplifiedLayerNormalization', [x, vector(weightName)], { attrs });
      }
      const x32 = castTo(g, x, floatType, DataType.FLOAT);
      const meanSquare = g.op('ReduceMean', [g.op('Mul', [x32, x32])], { attrs: { axes: { ints: [-1] } } });
      const normalized = g.op('Div', [
        x32,
        g.op('Sqrt', [g.op('Add', [meanSquare, g.float([config.rmsNormEps], [])])]),
      ]);
      return g.op('Mul', [castTo(g, normalized, DataType.FLOAT, floatType), vector(weightName)]);
    });

  const embedName = 'model.embed_tokens.weight';
  const embedding = g.initializer(embedName, floatType, [config.vocabSize, config.hiddenSize], () =>
    floatTensorBytes(weights.tensor(embedName), floatType),
  );
  let hidden = g.op('Gather', [embedding, inputIds], { attrs: { axis: { i: 0 } } });

  // Left padding gives position −1 (cumsum(mask) − 1) to pad tokens; their outputs are unused, but
  // RotaryEmbedding rejects negative positions, so clamp them to 0.
  const positions = g.op('Max', [positionIds, g.int64([0], [])]);
  const context = { config, floatType, inputIds, attentionMask, positionIds: positions };
  const rope = (options.fused ? fusedRope : plainRope)(g, context);
  const attentionKind = options.attention ?? 'eager';
  const newKeyValues = options.kvOutputs === 'new';
  if (newKeyValues && attentionKind !== 'eager') {
    throw new Error("kvOutputs 'new' needs eager attention (gqa has its own shared past/present buffer)");
  }
  const attention = ATTENTION[attentionKind].prepare(g, { ...context, rope, newKeyValues });
  const h = config.hiddenSize;
  const kvWidth = (config.numKvHeads * h) / config.numHeads;
  const ffn = config.intermediateSize;
  for (let layer = 0; layer < config.numLayers; layer++) {
    const p = layerPrefix(layer);
    const normed = rmsNorm(hidden, `${p}.input_layernorm.weight`);
    const attended = attention({
      layer,
      query: linear(normed, `${p}.self_attn.q_proj.weight`, h, h),
      key: linear(normed, `${p}.self_attn.k_proj.weight`, kvWidth, h),
      value: linear(normed, `${p}.self_attn.v_proj.weight`, kvWidth, h),
    });
    hidden = g.op('Add', [hidden, linear(attended, `${p}.self_attn.o_proj.weight`, h, h)]);
    const normed2 = rmsNorm(hidden, `${p}.post_attention_layernorm.weight`);
    hidden = g.scope(`layers.${layer}/mlp`, () => {
      const gate = linear(normed2, `${p}.mlp.gate_proj.weight`, ffn, h);
      const up = linear(normed2, `${p}.mlp.up_proj.weight`, ffn, h);
      const activated = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
      return g.op('Add', [hidden, linear(activated, `${p}.mlp.down_proj.weight`, h, ffn)]);
    });
  }
  if (options.logits === 'last') {
    hidden = g.op('Slice', [hidden, g.int64([-1]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([1])]);
  }
  const finalNorm = rmsNorm(hidden, 'model.norm.weight');
  const lmHead = config.tieWordEmbeddings ? embedName : 'lm_head.weight';
  linear(finalNorm, lmHead, config.vocabSize, h, 'logits');
  return g;
}
