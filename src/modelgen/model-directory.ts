/**
 * Writes a complete model directory, as optimum-cli would: model.onnx (+ model.onnx.data when external),
 * config.json, generation_config.json and the tokenizer files. It is written beside its place and renamed
 * there when complete (see staged-directory.ts).
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJson, writeTokenizerFiles } from '../tokenizer/tokenizer-files.js';
import type { SentencePieceVocab } from '../tokenizer/vocab.js';
import { quantizationConfig } from './int4/matmul-nbits.js';
import { type LlamaConfig, toHfConfig } from './llama-config.js';
import { buildLlamaGraph, type LlamaGraphOptions } from './llama-graph.js';
import type { WeightSource } from './llama-weights.js';
import { writeModel } from './onnx/model-writer.js';
import { writeStagedDirectory } from './staged-directory.js';
import type { WriteProgressListener } from './write-progress.js';

export interface ModelDirectoryOptions {
  outDir: string;
  config: LlamaConfig;
  weights: WeightSource;
  /** The tokenizer files are written from this vocabulary; absent: copiedFiles must hold a tokenizer. */
  vocab?: SentencePieceVocab;
  /** Files copied in as they are (name in the directory → source path), after the written ones. */
  copiedFiles?: Record<string, string>;
  /** generation_config.json as it is; default: BOS and EOS from the vocabulary and eosTokenIds. */
  generationConfig?: Record<string, unknown>;
  /** Default: LlamaGraphOptions' defaults. */
  graph?: LlamaGraphOptions;
  /** true/false forces external data on/off; absent: external above ~1.5 GB of weights. */
  externalData?: boolean;
  /** generation_config.json eos_token_id (llama2.c models also end on BOS). */
  eosTokenIds?: number[];
  /** Hears how far the weights are written, tensor by tensor. */
  onProgress?: WriteProgressListener;
}

/**
 * The options every model-writing command shares (convert llama2c, convert hf, create-random): where, which
 * graph, how the weights are stored, and who hears of progress.
 */
export type ModelWriteOptions = Pick<
  ModelDirectoryOptions,
  'outDir' | 'graph' | 'externalData' | 'onProgress'
>;

export interface ModelDirectory {
  dir: string;
  config: LlamaConfig;
  weightBytes: number;
  externalData: boolean;
}

export async function writeModelDirectory(options: ModelDirectoryOptions): Promise<ModelDirectory> {
  const { outDir, config, vocab } = options;
  if (vocab && vocab.pieces.length > config.vocabSize) {
    throw new Error(
      `the tokenizer has ${vocab.pieces.length} pieces but the model's vocab_size is ${config.vocabSize}`,
    );
  }
  const generationConfig = options.generationConfig ?? defaultGenerationConfig(vocab, options.eosTokenIds);
  return writeStagedDirectory(outDir, async (dir) => {
    const dtype = options.graph?.dtype ?? 'float32';
    const graph = buildLlamaGraph(config, options.weights, options.graph);
    const written = writeModel(graph, join(dir, 'model.onnx'), {
      externalData: options.externalData,
      onProgress: options.onProgress,
    });
    const int4 = options.graph?.int4;
    await writeJson(join(dir, 'config.json'), {
      ...toHfConfig(config, dtype),
      ...(int4 ? { quantization_config: quantizationConfig(int4) } : {}),
    });
    await writeJson(join(dir, 'generation_config.json'), generationConfig);
    if (vocab) await writeTokenizerFiles(vocab, dir);
    for (const [name, from] of Object.entries(options.copiedFiles ?? {}))
      await copyFile(from, join(dir, name));
    return {
      dir: outDir,
      config,
      weightBytes: written.weightBytes,
      externalData: written.dataPath !== undefined,
    };
  });
}

function defaultGenerationConfig(vocab: SentencePieceVocab | undefined, eosTokenIds: number[] | undefined) {
  if (!vocab) throw new Error('a model directory needs a vocabulary or a generation_config.json');
  const eos = eosTokenIds ?? [vocab.eosId];
  return { bos_token_id: vocab.bosId, eos_token_id: eos.length === 1 ? eos[0] : eos };
}
