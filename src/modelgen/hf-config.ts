/**
 * A Hugging Face checkpoint's config.json → LlamaConfig. Only what the Llama graph computes is accepted:
 * LlamaForCausalLM with SiLU, plain RoPE (no rope_scaling) and bias-free projections; anything else is
 * refused by name rather than converted into a model that computes something else.
 */
import { type LlamaConfig, validateLlamaConfig } from './llama-config.js';
import { ModelInputError } from './model-input-error.js';

export type HfConfigJson = Record<string, unknown>;

const LLAMA_ARCHITECTURE = 'LlamaForCausalLM';

function positiveInt(json: HfConfigJson, key: string, path: string, fallback?: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ModelInputError(`${path}: '${key}' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveNumber(json: HfConfigJson, key: string, path: string, fallback: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new ModelInputError(`${path}: '${key}' must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function refuseUnless(ok: boolean, path: string, what: string): void {
  if (!ok) throw new ModelInputError(`${path}: ${what} is not supported`);
}

export function llamaConfigFromHf(json: HfConfigJson, path = 'config.json'): LlamaConfig {
  const architectures = json.architectures;
  const modelType = json.model_type;
  const isLlama =
    modelType === 'llama' &&
    (architectures === undefined ||
      (Array.isArray(architectures) &&
        architectures.length === 1 &&
        architectures[0] === LLAMA_ARCHITECTURE));
  if (!isLlama) {
    throw new ModelInputError(
      `${path}: architecture ${JSON.stringify(architectures ?? null)} (model_type ` +
        `${JSON.stringify(modelType ?? null)}) is not supported: only ${LLAMA_ARCHITECTURE} (model_type "llama")`,
    );
  }
  const act = json.hidden_act ?? 'silu';
  refuseUnless(act === 'silu', path, `hidden_act ${JSON.stringify(act)} (only "silu")`);
  const scaling = json.rope_scaling ?? null;
  refuseUnless(scaling === null, path, `rope_scaling ${JSON.stringify(scaling)} (only plain RoPE)`);
  refuseUnless(json.attention_bias !== true, path, 'attention_bias true');
  refuseUnless(json.mlp_bias !== true, path, 'mlp_bias true');

  const numHeads = positiveInt(json, 'num_attention_heads', path);
  const config: LlamaConfig = {
    hiddenSize: positiveInt(json, 'hidden_size', path),
    intermediateSize: positiveInt(json, 'intermediate_size', path),
    numLayers: positiveInt(json, 'num_hidden_layers', path),
    numHeads,
    // Absent in Llama-2-7b/13b's config.json: no grouped-query attention.
    numKvHeads: positiveInt(json, 'num_key_value_heads', path, numHeads),
    vocabSize: positiveInt(json, 'vocab_size', path),
    maxPositions: positiveInt(json, 'max_position_embeddings', path),
    // LlamaConfig's own defaults where a key is absent.
    rmsNormEps: positiveNumber(json, 'rms_norm_eps', path, 1e-6),
    ropeTheta: positiveNumber(json, 'rope_theta', path, 10000),
    tieWordEmbeddings: json.tie_word_embeddings === true,
  };
  if (json.head_dim !== undefined && json.head_dim !== null) {
    const headDim = config.hiddenSize / numHeads;
    refuseUnless(
      json.head_dim === headDim,
      path,
      `head_dim ${json.head_dim} ≠ hidden_size / heads (${headDim})`,
    );
  }
  try {
    validateLlamaConfig(config);
  } catch (err) {
    throw new ModelInputError(`${path}: ${(err as Error).message}`);
  }
  return config;
}
