/**
 * Writes a complete model directory, as optimum-cli would: model.onnx (+ model.onnx.data when external),
 * config.json, generation_config.json and the tokenizer files.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJson, writeTokenizerFiles } from '../tokenizer/tokenizer-files.js';
import type { SentencePieceVocab } from '../tokenizer/vocab.js';
import { type LlamaConfig, toHfConfig } from './llama-config.js';
import { buildLlamaGraph, type LlamaGraphOptions } from './llama-graph.js';
import type { WeightSource } from './llama-weights.js';
import { writeModel } from './onnx/model-writer.js';

export interface ModelDirectoryOptions {
  outDir: string;
  config: LlamaConfig;
  weights: WeightSource;
  vocab: SentencePieceVocab;
  graph?: LlamaGraphOptions;
  /** true/false forces external data on/off; absent: external above ~1.5 GB of weights. */
  externalData?: boolean;
  /** generation_config.json eos_token_id (llama2.c models also end on BOS). */
  eosTokenIds?: number[];
}

export interface ModelDirectory {
  dir: string;
  config: LlamaConfig;
  weightBytes: number;
  externalData: boolean;
}

export async function writeModelDirectory(options: ModelDirectoryOptions): Promise<ModelDirectory> {
  const { outDir, config, vocab } = options;
  if (vocab.pieces.length !== config.vocabSize) {
    throw new Error(
      `the tokenizer has ${vocab.pieces.length} pieces but the model's vocab_size is ${config.vocabSize}`,
    );
  }
  await mkdir(outDir, { recursive: true });
  const dtype = options.graph?.dtype ?? 'float32';
  const graph = buildLlamaGraph(config, options.weights, options.graph);
  const written = writeModel(graph, join(outDir, 'model.onnx'), { externalData: options.externalData });
  const eos = options.eosTokenIds ?? [vocab.eosId];
  await writeJson(join(outDir, 'config.json'), toHfConfig(config, dtype));
  await writeJson(join(outDir, 'generation_config.json'), {
    bos_token_id: vocab.bosId,
    eos_token_id: eos.length === 1 ? eos[0] : eos,
  });
  await writeTokenizerFiles(vocab, outDir);
  return {
    dir: outDir,
    config,
    weightBytes: written.weightBytes,
    externalData: written.dataPath !== undefined,
  };
}
