/**
 * genai_config.json, as the onnxruntime-genai model builder writes it: the model's shape and special ids
 * (model.*), the decoder's I/O names (model.decoder.inputs|outputs, past/present names as printf patterns with
 * %d for the layer), and the search defaults (search.*; max_length is the total length, prompt included).
 */
import { join } from 'node:path';
import { idList, type ModelConfig, optionalNumber, positiveInt, readJson } from './model-config.js';

/** The decoder's graph names as genai_config.json declares them. */
export interface GenaiDecoderNames {
  inputIds: string;
  attentionMask: string;
  positionIds?: string;
  pastKey: (layer: number) => string;
  pastValue: (layer: number) => string;
  logits: string;
  presentKey: (layer: number) => string;
  presentValue: (layer: number) => string;
}

export interface GenaiConfig {
  config: ModelConfig;
  names: GenaiDecoderNames;
}

type Json = Record<string, unknown>;

const object = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

function name(section: Json, key: string, fallback: string): string {
  const value = section[key];
  return typeof value === 'string' ? value : fallback;
}

/** 'past_key_values.%d.key' → layer → 'past_key_values.3.key'. */
function layerPattern(section: Json, key: string, fallback: string): (layer: number) => string {
  const pattern = name(section, key, fallback);
  return (layer) => pattern.replace('%d', String(layer));
}

export async function readGenaiConfig(modelDir: string): Promise<GenaiConfig> {
  const path = join(modelDir, 'genai_config.json');
  const root = (await readJson(path, true))!;
  const model = object(root.model);
  const decoder = object(model.decoder);
  const search = object(root.search);
  const inputs = object(decoder.inputs);
  const outputs = object(decoder.outputs);
  const at = (key: string) => `${path} model.${key}`;
  const context = positiveInt(model, 'context_length', at('context_length'));
  const maxLength = optionalNumber(search.max_length);
  const eos = idList(model.eos_token_id);
  return {
    config: {
      // search.max_length caps prompt + generated tokens, as genai stops there.
      contextTokens: maxLength !== undefined && maxLength > 0 ? Math.min(context, maxLength) : context,
      vocabSize: positiveInt(model, 'vocab_size', at('vocab_size')),
      numLayers: positiveInt(decoder, 'num_hidden_layers', at('decoder.num_hidden_layers')),
      numKeyValueHeads: positiveInt(decoder, 'num_key_value_heads', at('decoder.num_key_value_heads')),
      headDim: positiveInt(decoder, 'head_size', at('decoder.head_size')),
      bosTokenId: optionalNumber(model.bos_token_id) ?? 1,
      eosTokenIds: eos.length > 0 ? eos : [2],
      generationDefaults: {
        temperature: optionalNumber(search.temperature),
        topP: optionalNumber(search.top_p),
        topK: optionalNumber(search.top_k),
        doSample: typeof search.do_sample === 'boolean' ? search.do_sample : undefined,
        repetitionPenalty: optionalNumber(search.repetition_penalty),
      },
    },
    names: {
      inputIds: name(inputs, 'input_ids', 'input_ids'),
      attentionMask: name(inputs, 'attention_mask', 'attention_mask'),
      positionIds: typeof inputs.position_ids === 'string' ? inputs.position_ids : undefined,
      pastKey: layerPattern(inputs, 'past_key_names', 'past_key_values.%d.key'),
      pastValue: layerPattern(inputs, 'past_value_names', 'past_key_values.%d.value'),
      logits: name(outputs, 'logits', 'logits'),
      presentKey: layerPattern(outputs, 'present_key_names', 'present.%d.key'),
      presentValue: layerPattern(outputs, 'present_value_names', 'present.%d.value'),
    },
  };
}
