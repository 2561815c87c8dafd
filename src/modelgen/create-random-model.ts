/** A seeded random-weight Llama model directory from a preset: the demo model, test and bench models. */
import { defaultLlama2Vocab } from '../tokenizer/default-vocab.js';
import { type LlamaConfig, PRESETS, type PresetName } from './llama-config.js';
import { SERVING_GRAPH } from './llama-graph.js';
import { type ModelDirectory, type ModelWriteOptions, writeModelDirectory } from './model-directory.js';
import { randomWeightSource } from './random-weights.js';
import { readVocabFile } from './vocab-file.js';

/** graph defaults to SERVING_GRAPH. */
export interface CreateRandomOptions extends ModelWriteOptions {
  preset: PresetName;
  seed?: number;
  /** A tokenizer.model or llama2.c tokenizer.bin; default: the real Llama-2 vocabulary. Sets vocab_size. */
  tokenizer?: string;
  /** Overrides the preset's layer count. */
  layers?: number;
  /** Overrides any other preset field (tests use small shapes). */
  overrides?: Partial<LlamaConfig>;
}

export const DEFAULT_SEED = 1234;

export function randomModelConfig(
  options: Pick<CreateRandomOptions, 'preset' | 'layers' | 'overrides'>,
): LlamaConfig {
  const config: LlamaConfig = { ...PRESETS[options.preset], ...options.overrides };
  if (options.layers !== undefined) config.numLayers = options.layers;
  return config;
}

export async function createRandomModel(options: CreateRandomOptions): Promise<ModelDirectory> {
  const vocab =
    options.tokenizer === undefined ? defaultLlama2Vocab() : await readVocabFile(options.tokenizer);
  const config = { ...randomModelConfig(options), vocabSize: vocab.pieces.length };
  return writeModelDirectory({
    outDir: options.outDir,
    config,
    weights: randomWeightSource(config, options.seed ?? DEFAULT_SEED),
    vocab,
    graph: options.graph ?? SERVING_GRAPH,
    externalData: options.externalData,
    onProgress: options.onProgress,
  });
}
