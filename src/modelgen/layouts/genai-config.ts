/**
 * genai_config.json as the onnxruntime-genai model builder writes it for a Llama decoder: the model's shape,
 * its special ids, the decoder file and its I/O names (past/present names as printf patterns), and the
 * search defaults (max_length is the total length, prompt included).
 */
import { headDim, type LlamaConfig } from '../llama-config.js';

export interface GenaiConfigOptions {
  config: LlamaConfig;
  filename: string;
  bosTokenId: number;
  eosTokenIds: number[];
  /** Whether the graph takes position_ids (the builder leaves them out when rotary runs inside GQA). */
  positionIds: boolean;
}

export function buildGenaiConfig(options: GenaiConfigOptions): Record<string, unknown> {
  const { config, eosTokenIds } = options;
  const eos = eosTokenIds.length === 1 ? eosTokenIds[0] : eosTokenIds;
  return {
    model: {
      bos_token_id: options.bosTokenId,
      context_length: config.maxPositions,
      decoder: {
        session_options: { log_id: 'onnxruntime-genai', provider_options: [] },
        filename: options.filename,
        head_size: headDim(config),
        hidden_size: config.hiddenSize,
        inputs: {
          input_ids: 'input_ids',
          attention_mask: 'attention_mask',
          ...(options.positionIds ? { position_ids: 'position_ids' } : {}),
          past_key_names: 'past_key_values.%d.key',
          past_value_names: 'past_key_values.%d.value',
        },
        outputs: {
          logits: 'logits',
          present_key_names: 'present.%d.key',
          present_value_names: 'present.%d.value',
        },
        num_attention_heads: config.numHeads,
        num_hidden_layers: config.numLayers,
        num_key_value_heads: config.numKvHeads,
      },
      eos_token_id: eos,
      pad_token_id: eosTokenIds[0],
      type: 'llama',
      vocab_size: config.vocabSize,
    },
    search: {
      diversity_penalty: 0.0,
      do_sample: false,
      early_stopping: true,
      length_penalty: 1.0,
      max_length: config.maxPositions,
      min_length: 0,
      no_repeat_ngram_size: 0,
      num_beams: 1,
      num_return_sequences: 1,
      past_present_share_buffer: true,
      repetition_penalty: 1.0,
      temperature: 1.0,
      top_k: 50,
      top_p: 1.0,
    },
  };
}
