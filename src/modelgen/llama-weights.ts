/**
 * Llama weights by Hugging Face tensor name, in Hugging Face layout ([out, in] for linear layers).
 * A WeightSource hands out one tensor at a time, so the model writer can stream weights that do not fit
 * in memory; LlamaWeights is the in-memory source for small models (and the reference forward pass).
 */
import type { LlamaConfig } from './llama-config.js';
import { headDim } from './llama-config.js';

export interface WeightSource {
  /** The tensor in HF layout, row-major; the caller may drop it after use. */
  tensor(name: string): Float32Array;
  /** A [out, in] weight as [in, out], for sources that have it without a copy (else transpose(tensor)). */
  transposed?(name: string): Float32Array;
}

export type LlamaWeights = Map<string, Float32Array>;

export function inMemorySource(weights: LlamaWeights): WeightSource {
  return {
    tensor(name) {
      const t = weights.get(name);
      if (!t) throw new Error(`weight ${name} is missing`);
      return t;
    },
  };
}

export const layerPrefix = (layer: number) => `model.layers.${layer}`;

/** Every tensor of the model with its HF shape, in checkpoint order. */
export function llamaTensorShapes(config: LlamaConfig): { name: string; shape: number[] }[] {
  const h = config.hiddenSize;
  const kv = config.numKvHeads * headDim(config);
  const shapes = [{ name: 'model.embed_tokens.weight', shape: [config.vocabSize, h] }];
  for (let i = 0; i < config.numLayers; i++) {
    const p = layerPrefix(i);
    shapes.push(
      { name: `${p}.input_layernorm.weight`, shape: [h] },
      { name: `${p}.self_attn.q_proj.weight`, shape: [h, h] },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kv, h] },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kv, h] },
      { name: `${p}.self_attn.o_proj.weight`, shape: [h, h] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [h] },
      { name: `${p}.mlp.gate_proj.weight`, shape: [config.intermediateSize, h] },
      { name: `${p}.mlp.up_proj.weight`, shape: [config.intermediateSize, h] },
      { name: `${p}.mlp.down_proj.weight`, shape: [h, config.intermediateSize] },
    );
  }
  shapes.push({ name: 'model.norm.weight', shape: [h] });
  if (!config.tieWordEmbeddings) shapes.push({ name: 'lm_head.weight', shape: [config.vocabSize, h] });
  return shapes;
}

/** [rows, cols] → [cols, rows]: HF linear weights are [out, in], MatMul wants [in, out]. */
export function transpose(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  const block = 64;
  for (let r0 = 0; r0 < rows; r0 += block) {
    for (let c0 = 0; c0 < cols; c0 += block) {
      const rEnd = Math.min(r0 + block, rows);
      const cEnd = Math.min(c0 + block, cols);
      for (let r = r0; r < rEnd; r++) {
        for (let c = c0; c < cEnd; c++) out[c * rows + r] = values[r * cols + c]!;
      }
    }
  }
  return out;
}
