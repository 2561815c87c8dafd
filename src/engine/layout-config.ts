/**
 * A model directory's configuration in whichever layout it is: config.json (+ generation_config.json) for
 * Optimum exports, genai_config.json for onnxruntime-genai's, and for the Llama-2-Onnx release, which carries
 * none, Llama 2's context with the vocabulary and special ids of its tokenizer.model.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSentencePieceModel } from '../tokenizer/sentencepiece-model.js';
import { readGenaiConfig } from './genai-config.js';
import { boundedContext, type ModelConfig, readModelConfig } from './model-config.js';
import { findModelFiles, type ModelFiles } from './model-files.js';

/** Llama 2's context length: every model of the Llama-2-Onnx release is a Llama 2. */
const LLAMA2_CONTEXT_TOKENS = 4096;

/** `maxModelLen` bounds the context as readModelConfig's does, in every layout. */
export async function readLayoutConfig(
  modelDir: string,
  maxModelLen?: number,
  files: ModelFiles = findModelFiles(modelDir),
): Promise<ModelConfig> {
  switch (files.layout) {
    case 'genai': {
      const { config } = await readGenaiConfig(modelDir);
      return { ...config, contextTokens: boundedContext(config.contextTokens, maxModelLen) };
    }
    case 'llama2-onnx': {
      const vocab = readSentencePieceModel(await readFile(join(modelDir, 'tokenizer.model')));
      return {
        contextTokens: boundedContext(LLAMA2_CONTEXT_TOKENS, maxModelLen),
        vocabSize: vocab.pieces.length,
        bosTokenId: vocab.bosId,
        eosTokenIds: [vocab.eosId],
        generationDefaults: {},
      };
    }
    default:
      return readModelConfig(modelDir, maxModelLen);
  }
}
