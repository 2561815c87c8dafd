import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What the engine and the server need from config.json and generation_config.json. */
export interface ModelConfig {
  /** max_position_embeddings: prompt tokens + max_new_tokens must fit. */
  contextTokens: number;
  vocabSize: number;
  numLayers: number;
  numKeyValueHeads: number;
  headDim: number;
  /** config.json's torch_dtype ('float32', 'float16', …): the graph's float type before a session says. */
  torchDtype?: string;
  bosTokenId: number;
  /** Every id that ends a sequence (llama2.c models also end on BOS). */
  eosTokenIds: number[];
  /** Request defaults from generation_config.json, where it has them. */
  generationDefaults: {
    maxNewTokens?: number;
    temperature?: number;
    topP?: number;
    topK?: number;
    doSample?: boolean;
    repetitionPenalty?: number;
  };
}

async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function positiveInt(config: Record<string, unknown>, key: string, path: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${path}: '${key}' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function idList(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number');
  return [];
}

const optionalNumber = (value: unknown) => (typeof value === 'number' ? value : undefined);

/**
 * `maxModelLen` bounds the context below the model's own (serve --max-model-len): the KV cache, the
 * request checks and the batch loop all read contextTokens.
 */
export async function readModelConfig(modelDir: string, maxModelLen?: number): Promise<ModelConfig> {
  const configPath = join(modelDir, 'config.json');
  const config = (await readJson(configPath, true))!;
  const generation = (await readJson(join(modelDir, 'generation_config.json'), false)) ?? {};
  const hidden = positiveInt(config, 'hidden_size', configPath);
  const heads = positiveInt(config, 'num_attention_heads', configPath);
  const kvHeads =
    config.num_key_value_heads === undefined ? heads : positiveInt(config, 'num_key_value_heads', configPath);
  const eos = idList(generation.eos_token_id);
  const eosTokenIds = eos.length > 0 ? eos : idList(config.eos_token_id);
  const modelContext = positiveInt(config, 'max_position_embeddings', configPath);
  if (maxModelLen !== undefined && maxModelLen > modelContext) {
    throw new Error(`max model length ${maxModelLen} exceeds the model's context of ${modelContext} tokens`);
  }
  return {
    contextTokens: maxModelLen ?? modelContext,
    vocabSize: positiveInt(config, 'vocab_size', configPath),
    numLayers: positiveInt(config, 'num_hidden_layers', configPath),
    numKeyValueHeads: kvHeads,
    headDim: typeof config.head_dim === 'number' ? config.head_dim : hidden / heads,
    torchDtype: typeof config.torch_dtype === 'string' ? config.torch_dtype : undefined,
    bosTokenId: typeof config.bos_token_id === 'number' ? config.bos_token_id : 1,
    eosTokenIds: eosTokenIds.length > 0 ? eosTokenIds : [2],
    generationDefaults: {
      maxNewTokens: optionalNumber(generation.max_new_tokens),
      temperature: optionalNumber(generation.temperature),
      topP: optionalNumber(generation.top_p),
      topK: optionalNumber(generation.top_k),
      doSample: typeof generation.do_sample === 'boolean' ? generation.do_sample : undefined,
      repetitionPenalty: optionalNumber(generation.repetition_penalty),
    },
  };
}
