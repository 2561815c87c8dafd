/** The shape of a Llama decoder, in Hugging Face LlamaConfig's terms, and the presets create-random knows. */

export interface LlamaConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** ≤ numHeads and dividing it; fewer than numHeads = grouped-query attention. */
  numKvHeads: number;
  vocabSize: number;
  /** Context length: the RoPE tables are built this long. */
  maxPositions: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** The LM head reuses the token embedding (llama2.c checkpoints with a positive vocab size). */
  tieWordEmbeddings: boolean;
}

export type WeightDtype = 'float32' | 'float16';

export function headDim(config: LlamaConfig): number {
  return config.hiddenSize / config.numHeads;
}

export function validateLlamaConfig(config: LlamaConfig): void {
  const { hiddenSize, numHeads, numKvHeads } = config;
  if (hiddenSize % numHeads !== 0)
    throw new Error(`hidden_size ${hiddenSize} is not a multiple of ${numHeads} heads`);
  if (numKvHeads > numHeads || numHeads % numKvHeads !== 0) {
    throw new Error(`num_key_value_heads ${numKvHeads} must divide num_attention_heads ${numHeads}`);
  }
  if (headDim(config) % 2 !== 0) throw new Error(`head_dim ${headDim(config)} must be even for RoPE`);
}

const LLAMA2 = { rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false, vocabSize: 32000 };

export const PRESETS = {
  /** The demo model `npm start` serves: real tokenizer, tiny and fast. */
  tiny: {
    ...LLAMA2,
    hiddenSize: 64,
    intermediateSize: 172,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    maxPositions: 1024,
  },
  /** ~59M parameters: big enough for batching measurements on a CPU. */
  bench: {
    ...LLAMA2,
    hiddenSize: 512,
    intermediateSize: 1376,
    numLayers: 8,
    numHeads: 8,
    numKvHeads: 8,
    maxPositions: 2048,
  },
  'llama-2-7b': {
    ...LLAMA2,
    hiddenSize: 4096,
    intermediateSize: 11008,
    numLayers: 32,
    numHeads: 32,
    numKvHeads: 32,
    maxPositions: 4096,
  },
  'llama-2-13b': {
    ...LLAMA2,
    hiddenSize: 5120,
    intermediateSize: 13824,
    numLayers: 40,
    numHeads: 40,
    numKvHeads: 40,
    maxPositions: 4096,
  },
} satisfies Record<string, LlamaConfig>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/** config.json as Hugging Face's LlamaConfig writes it. */
export function toHfConfig(config: LlamaConfig, dtype: WeightDtype): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: headDim(config),
    hidden_act: 'silu',
    vocab_size: config.vocabSize,
    max_position_embeddings: config.maxPositions,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: dtype,
    tie_word_embeddings: config.tieWordEmbeddings,
  };
}

/** config.json (as toHfConfig writes it, or Hugging Face's own) → LlamaConfig; `path` names it in errors. */
export function fromHfConfig(json: Record<string, unknown>, path: string): LlamaConfig {
  const number = (key: string, fallback?: number): number => {
    const value = json[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new Error(`${path}: '${key}' must be a positive number, got ${JSON.stringify(json[key])}`);
    }
    return value;
  };
  const numHeads = number('num_attention_heads');
  return {
    hiddenSize: number('hidden_size'),
    intermediateSize: number('intermediate_size'),
    numLayers: number('num_hidden_layers'),
    numHeads,
    numKvHeads: number('num_key_value_heads', numHeads),
    vocabSize: number('vocab_size'),
    maxPositions: number('max_position_embeddings'),
    rmsNormEps: number('rms_norm_eps', LLAMA2.rmsNormEps),
    ropeTheta: number('rope_theta', LLAMA2.ropeTheta),
    tieWordEmbeddings: json.tie_word_embeddings === true,
  };
}
