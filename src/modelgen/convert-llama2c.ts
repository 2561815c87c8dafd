/** A llama2.c checkpoint + tokenizer.bin → a model directory. */
import { readFile } from 'node:fs/promises';
import { SERVING_GRAPH } from './llama-graph.js';
import { inMemorySource } from './llama-weights.js';
import { readLlama2cCheckpoint } from './llama2c-checkpoint.js';
import { type ModelDirectory, type ModelWriteOptions, writeModelDirectory } from './model-directory.js';
import { readVocabFile } from './vocab-file.js';

/** graph defaults to SERVING_GRAPH. */
export interface ConvertLlama2cOptions extends ModelWriteOptions {
  checkpoint: string;
  tokenizer: string;
}

/** llama2.c's run.c ends a text on BOS as well as EOS. */
const LLAMA2C_EOS = [2, 1];

export async function convertLlama2c(options: ConvertLlama2cOptions): Promise<ModelDirectory> {
  const { config, weights } = readLlama2cCheckpoint(await readFile(options.checkpoint), options.checkpoint);
  const vocab = await readVocabFile(options.tokenizer, config.vocabSize);
  return writeModelDirectory({
    outDir: options.outDir,
    config,
    weights: inMemorySource(weights),
    vocab,
    graph: options.graph ?? SERVING_GRAPH,
    eosTokenIds: LLAMA2C_EOS,
    externalData: options.externalData,
    onProgress: options.onProgress,
  });
}
