/**
 * A Hugging Face Llama checkpoint directory (config.json, safetensors weights, tokenizer.json and/or
 * tokenizer.model, generation_config.json) → a model directory. The checkpoint is checked whole before
 * anything is written; then weights are read one tensor at a time as the model is written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../tokenizer/load.js';
import { readSentencePieceModel } from '../tokenizer/sentencepiece-model.js';
import type { SentencePieceVocab } from '../tokenizer/vocab.js';
import { type HfConfigJson, llamaConfigFromHf } from './hf-config.js';
import { openHfWeights } from './hf-weights.js';
import type { LlamaConfig } from './llama-config.js';
import { SERVING_GRAPH } from './llama-graph.js';
import { type ModelDirectory, type ModelWriteOptions, writeModelDirectory } from './model-directory.js';
import { ModelInputError } from './model-input-error.js';

/** graph defaults to SERVING_GRAPH. */
export interface ConvertHfOptions extends ModelWriteOptions {
  /** The checkpoint directory. */
  inDir: string;
}

/** The tokenizer files of a Hugging Face checkpoint, copied when present. */
const TOKENIZER_JSON_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
const TOKENIZER_MODEL = 'tokenizer.model';

function readJsonFile(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ModelInputError(`${path}: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelInputError(`${path}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

interface CheckpointTokenizer {
  /** Set when tokenizer files are to be written from tokenizer.model (there is no tokenizer.json). */
  vocab?: SentencePieceVocab;
  copiedFiles: Record<string, string>;
}

/**
 * The checkpoint's own tokenizer.json is kept when present (it is what the model was published with,
 * added tokens included); otherwise tokenizer files are derived from tokenizer.model. Either way it must
 * load, and hold no id the model has no embedding for.
 */
async function checkpointTokenizer(dir: string, config: LlamaConfig): Promise<CheckpointTokenizer> {
  const copiedFiles: Record<string, string> = {};
  for (const name of [...TOKENIZER_JSON_FILES, TOKENIZER_MODEL]) {
    if (existsSync(join(dir, name))) copiedFiles[name] = join(dir, name);
  }
  let size: number;
  let vocab: SentencePieceVocab | undefined;
  try {
    if (copiedFiles['tokenizer.json']) {
      size = (await loadTokenizer(dir)).vocabSize;
    } else if (copiedFiles[TOKENIZER_MODEL]) {
      vocab = readSentencePieceModel(readFileSync(copiedFiles[TOKENIZER_MODEL]));
      size = vocab.pieces.length;
    } else {
      throw new Error('no tokenizer.json or tokenizer.model');
    }
  } catch (err) {
    throw new ModelInputError(`${dir}: tokenizer: ${(err as Error).message}`);
  }
  if (size > config.vocabSize) {
    throw new ModelInputError(
      `${dir}: the tokenizer has ${size} tokens but config.json's vocab_size is ${config.vocabSize}`,
    );
  }
  return { vocab, copiedFiles };
}

export async function convertHf(options: ConvertHfOptions): Promise<ModelDirectory> {
  const { inDir } = options;
  const configPath = join(inDir, 'config.json');
  if (!existsSync(configPath)) throw new ModelInputError(`${inDir} has no config.json`);
  const hfConfig: HfConfigJson = readJsonFile(configPath);
  const config = llamaConfigFromHf(hfConfig, configPath);
  const weights = openHfWeights(inDir, config);
  try {
    const tokenizer = await checkpointTokenizer(inDir, config);
    const generationPath = join(inDir, 'generation_config.json');
    const generationConfig = existsSync(generationPath)
      ? readJsonFile(generationPath)
      : { bos_token_id: hfConfig.bos_token_id ?? 1, eos_token_id: hfConfig.eos_token_id ?? 2 };
    return await writeModelDirectory({
      outDir: options.outDir,
      config,
      weights,
      vocab: tokenizer.vocab,
      copiedFiles: tokenizer.copiedFiles,
      generationConfig,
      graph: options.graph ?? SERVING_GRAPH,
      externalData: options.externalData,
      onProgress: options.onProgress,
    });
  } finally {
    weights.close();
  }
}
