/**
 * A plain TypeScript Llama forward pass in float64, straight from the HF-layout weights: the oracle the
 * ONNX graph is tested against. One sequence, positions 0..n-1, no cache (a "past" is recomputed).
 */
import { headDim, type LlamaConfig } from './llama-config.js';
import { inMemorySource, type LlamaWeights, layerPrefix } from './llama-weights.js';
import { ropeTables } from './rope.js';

/** y = W·x for W [rows, x.length] row-major. */
function matVec(w: Float32Array, x: Float64Array, rows: number): Float64Array {
  const cols = x.length;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    const base = r * cols;
    for (let c = 0; c < cols; c++) sum += w[base + c]! * x[c]!;
    y[r] = sum;
  }
  return y;
}

function rmsNorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let meanSquare = 0;
  for (const v of x) meanSquare += v * v;
  const scale = 1 / Math.sqrt(meanSquare / x.length + eps);
  return x.map((v, i) => v * scale * w[i]!);
}

/** rotate_half RoPE on each head of x (length heads · hd), in place. */
function rope(x: Float64Array, hd: number, cos: Float64Array, sin: Float64Array, pos: number): void {
  const half = hd / 2;
  for (let head = 0; head < x.length / hd; head++) {
    const base = head * hd;
    for (let i = 0; i < half; i++) {
      const c = cos[pos * half + i]!;
      const s = sin[pos * half + i]!;
      const a = x[base + i]!;
      const b = x[base + half + i]!;
      x[base + i] = a * c - b * s;
      x[base + half + i] = b * c + a * s;
    }
  }
}

/** Logits [vocab] for every position of `ids`. */
export function referenceForward(
  config: LlamaConfig,
  weights: LlamaWeights,
  ids: readonly number[],
): Float64Array[] {
  const h = config.hiddenSize;
  const hd = headDim(config);
  const kvWidth = config.numKvHeads * hd;
  const group = config.numHeads / config.numKvHeads;
  const tables = ropeTables(ids.length, hd, config.ropeTheta);
  const source = inMemorySource(weights);
  const embed = source.tensor('model.embed_tokens.weight');
  let states = ids.map((id) => Float64Array.from(embed.subarray(id * h, (id + 1) * h)));

  for (let layer = 0; layer < config.numLayers; layer++) {
    const p = layerPrefix(layer);
    const w = (name: string) => source.tensor(`${p}.${name}`);
    const normed = states.map((x) => rmsNorm(x, w('input_layernorm.weight'), config.rmsNormEps));
    const qs = normed.map((x, pos) => {
      const q = matVec(w('self_attn.q_proj.weight'), x, h);
      rope(q, hd, tables.cos, tables.sin, pos);
      return q;
    });
    const ks = normed.map((x, pos) => {
      const k = matVec(w('self_attn.k_proj.weight'), x, kvWidth);
      rope(k, hd, tables.cos, tables.sin, pos);
      return k;
    });
    const vs = normed.map((x) => matVec(w('self_attn.v_proj.weight'), x, kvWidth));
    states = states.map((x, pos) => {
      const attended = new Float64Array(h);
      for (let head = 0; head < config.numHeads; head++) {
        const kvBase = Math.floor(head / group) * hd;
        const scores = new Float64Array(pos + 1);
        for (let j = 0; j <= pos; j++) {
          let dot = 0;
          for (let i = 0; i < hd; i++) dot += qs[pos]![head * hd + i]! * ks[j]![kvBase + i]!;
          scores[j] = dot / Math.sqrt(hd);
        }
        const max = Math.max(...scores);
        let total = 0;
        for (let j = 0; j <= pos; j++) {
          scores[j] = Math.exp(scores[j]! - max);
          total += scores[j]!;
        }
        for (let j = 0; j <= pos; j++) {
          for (let i = 0; i < hd; i++) attended[head * hd + i]! += (scores[j]! / total) * vs[j]![kvBase + i]!;
        }
      }
      const out = matVec(w('self_attn.o_proj.weight'), attended, h);
      const residual = x.map((v, i) => v + out[i]!);
      const n2 = rmsNorm(residual, w('post_attention_layernorm.weight'), config.rmsNormEps);
      const gate = matVec(w('mlp.gate_proj.weight'), n2, config.intermediateSize);
      const up = matVec(w('mlp.up_proj.weight'), n2, config.intermediateSize);
      const activated = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = matVec(w('mlp.down_proj.weight'), activated, h);
      return residual.map((v, i) => v + down[i]!);
    });
  }
  const lmHead = source.tensor(config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  const finalNorm = source.tensor('model.norm.weight');
  return states.map((x) => matVec(lmHead, rmsNorm(x, finalNorm, config.rmsNormEps), config.vocabSize));
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * Greedy continuation by recomputing the whole sequence each step (slow, obviously right).
 * Stops early at any of stopIds.
 */
export function referenceGreedy(
  config: LlamaConfig,
  weights: LlamaWeights,
  promptIds: readonly number[],
  maxNewTokens: number,
  stopIds: readonly number[] = [],
): number[] {
  const ids = [...promptIds];
  const generated: number[] = [];
  for (let step = 0; step < maxNewTokens; step++) {
    const logits = referenceForward(config, weights, ids);
    const next = argmax(logits[logits.length - 1]!);
    if (stopIds.includes(next)) break;
    generated.push(next);
    ids.push(next);
  }
  return generated;
}
