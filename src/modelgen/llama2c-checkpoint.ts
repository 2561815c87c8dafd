/**
 * Reads a llama2.c checkpoint (legacy "version 0": 7 × int32 header, then float32 tensors) into HF-layout
 * LlamaWeights. llama2.c's RoPE rotates adjacent pairs (x[2i], x[2i+1]); the graph rotates halves
 * (x[i], x[i + hd/2]). Permuting the rows of wq and wk within each head, as Hugging Face's
 * convert_llama_weights_to_hf does, makes the two compute the same attention.
 */
import type { LlamaConfig } from './llama-config.js';
import { type LlamaWeights, layerPrefix } from './llama-weights.js';

const HEADER_BYTES = 7 * 4;

export interface Llama2cCheckpoint {
  config: LlamaConfig;
  weights: LlamaWeights;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Row order of one head as rotate_half wants it: first every even row, then every odd row. */
function permuteForRotateHalf(w: Float32Array, heads: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const hd = w.length / cols / heads;
  const half = hd / 2;
  for (let head = 0; head < heads; head++) {
    for (let i = 0; i < half; i++) {
      for (const t of [0, 1]) {
        const from = (head * hd + 2 * i + t) * cols;
        const to = (head * hd + t * half + i) * cols;
        out.set(w.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

export function readLlama2cCheckpoint(bytes: Uint8Array, name = 'checkpoint'): Llama2cCheckpoint {
  if (bytes.byteLength < HEADER_BYTES) {
    throw new CheckpointError(
      `${name} is truncated: ${bytes.byteLength} bytes, the header alone is ${HEADER_BYTES}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [dim, hidden, layers, heads, kvHeads, signedVocab, seqLen] = Array.from({ length: 7 }, (_, i) =>
    view.getInt32(i * 4, true),
  ) as [number, number, number, number, number, number, number];
  const vocab = Math.abs(signedVocab);
  if ([dim, hidden, layers, heads, kvHeads, vocab, seqLen].some((v) => v <= 0) || dim % heads !== 0) {
    throw new CheckpointError(
      `${name} is not a llama2.c checkpoint: header dim=${dim} hidden_dim=${hidden} n_layers=${layers} ` +
        `n_heads=${heads} n_kv_heads=${kvHeads} vocab_size=${signedVocab} seq_len=${seqLen}`,
    );
  }
  const hs = dim / heads;
  const kvDim = kvHeads * hs;
  const shared = signedVocab > 0;
  const config: LlamaConfig = {
    hiddenSize: dim,
    intermediateSize: hidden,
    numLayers: layers,
    numHeads: heads,
    numKvHeads: kvHeads,
    vocabSize: vocab,
    maxPositions: seqLen,
    rmsNormEps: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: shared,
  };

  const floats =
    vocab * dim +
    layers * (2 * dim + dim * dim * 2 + 2 * dim * kvDim + 3 * dim * hidden) +
    dim +
    seqLen * hs +
    (shared ? 0 : vocab * dim);
  const expected = HEADER_BYTES + floats * 4;
  if (bytes.byteLength !== expected) {
    const what = bytes.byteLength < expected ? 'is truncated' : 'has trailing bytes';
    throw new CheckpointError(
      `${name} ${what}: expected ${expected} bytes for its header, got ${bytes.byteLength}`,
    );
  }

  // Copy out: the file's bytes may not be 4-byte aligned (and a Node Buffer may share a larger pool).
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset + HEADER_BYTES, bytes.byteOffset + expected),
  );
  let offset = 0;
  const take = (count: number) => {
    offset += count;
    return data.subarray(offset - count, offset);
  };
  const perLayer = (count: number) => Array.from({ length: layers }, () => take(count));

  const weights: LlamaWeights = new Map();
  weights.set('model.embed_tokens.weight', take(vocab * dim));
  const rmsAtt = perLayer(dim);
  const wq = perLayer(dim * dim);
  const wk = perLayer(kvDim * dim);
  const wv = perLayer(kvDim * dim);
  const wo = perLayer(dim * dim);
  const rmsFfn = perLayer(dim);
  const w1 = perLayer(hidden * dim);
  const w2 = perLayer(dim * hidden);
  const w3 = perLayer(hidden * dim);
  weights.set('model.norm.weight', take(dim));
  take(seqLen * hs); // freq_cis_real and freq_cis_imag: recomputed by the graph
  if (!shared) weights.set('lm_head.weight', take(vocab * dim));

  for (let i = 0; i < layers; i++) {
    const p = layerPrefix(i);
    weights.set(`${p}.input_layernorm.weight`, rmsAtt[i]!);
    weights.set(`${p}.self_attn.q_proj.weight`, permuteForRotateHalf(wq[i]!, heads, dim));
    weights.set(`${p}.self_attn.k_proj.weight`, permuteForRotateHalf(wk[i]!, kvHeads, dim));
    weights.set(`${p}.self_attn.v_proj.weight`, wv[i]!);
    weights.set(`${p}.self_attn.o_proj.weight`, wo[i]!);
    weights.set(`${p}.post_attention_layernorm.weight`, rmsFfn[i]!);
    weights.set(`${p}.mlp.gate_proj.weight`, w1[i]!);
    weights.set(`${p}.mlp.down_proj.weight`, w2[i]!);
    weights.set(`${p}.mlp.up_proj.weight`, w3[i]!);
  }
  return { config, weights };
}
