/**
 * Writes a complete model directory in one of the layouts users have (see ModelLayout): the decoder graph (+
 * its external data), the configuration files that layout carries, and the tokenizer files. It is written
 * beside its place and renamed there when complete (see staged-directory.ts).
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ModelLayout } from '../engine/model-files.js';
import { encodeSentencePieceModel } from '../tokenizer/sentencepiece-model-writer.js';
import { writeJson, writeTokenizerFiles } from '../tokenizer/tokenizer-files.js';
import type { SentencePieceVocab } from '../tokenizer/vocab.js';
import { quantizationConfig } from './int4/matmul-nbits.js';
import { buildGenaiConfig } from './layouts/genai-config.js';
import { buildLlama2OnnxGraph, llama2OnnxModelPath } from './layouts/llama2-onnx.js';
import { buildMergedDecoder, MERGED_DECODER_FILE } from './layouts/optimum-merged.js';
import { type LlamaConfig, toHfConfig } from './llama-config.js';
import { buildLlamaGraph, type LlamaGraphOptions } from './llama-graph.js';
import type { WeightSource } from './llama-weights.js';
import type { GraphBuilder } from './onnx/graph-builder.js';
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
  /** Default 'optimum'. */
  layout?: ModelLayout;
  /** For 'optimum' all of it; the other layouts fix their attention and outputs and take dtype, ops, logits. */
  graph?: LlamaGraphOptions;
  /** true/false forces external data on/off; absent: external above ~1.5 GB of weights (genai: always). */
  externalData?: boolean;
  /** The external data file's name; default: the layout's usual one. */
  dataFileName?: string;
  /** generation_config.json eos_token_id (llama2.c models also end on BOS). */
  eosTokenIds?: number[];
  /** Hears how far the weights are written, tensor by tensor. */
  onProgress?: WriteProgressListener;
}

/**
 * The options every model-writing command shares (convert llama2c, convert hf, create-random): where, which
 * layout and graph, how the weights are stored, and who hears of progress.
 */
export type ModelWriteOptions = Pick<
  ModelDirectoryOptions,
  'outDir' | 'layout' | 'graph' | 'externalData' | 'onProgress'
>;

export interface ModelDirectory {
  dir: string;
  config: LlamaConfig;
  weightBytes: number;
  externalData: boolean;
}

/** How each layout names its decoder, builds it, and what it writes beside it. */
interface LayoutPlan {
  modelFile: string;
  graph: GraphBuilder;
  /** Default external data file name. */
  dataFileName?: string;
  alwaysExternal?: boolean;
  writeFiles(dir: string): Promise<void>;
}

/** The genai builder's GQA graph: rotary inside GroupQueryAttention, a past that grows, all logits. */
export const GENAI_GRAPH: LlamaGraphOptions = {
  attention: 'gqa',
  positionIds: false,
  fused: true,
  kvOutputs: 'present',
  logits: 'all',
};

function layoutPlan(options: ModelDirectoryOptions, generationConfig: Record<string, unknown>): LayoutPlan {
  const { config, weights, vocab } = options;
  const graph = options.graph ?? {};
  const dtype = graph.dtype ?? 'float32';
  const tokenizerFiles = async (dir: string) => {
    if (vocab) await writeTokenizerFiles(vocab, dir);
    for (const [name, from] of Object.entries(options.copiedFiles ?? {}))
      await copyFile(from, join(dir, name));
  };
  const hfFiles = async (dir: string) => {
    await writeJson(join(dir, 'config.json'), {
      ...toHfConfig(config, dtype),
      ...(graph.int4 ? { quantization_config: quantizationConfig(graph.int4) } : {}),
    });
    await writeJson(join(dir, 'generation_config.json'), generationConfig);
    await tokenizerFiles(dir);
  };
  switch (options.layout ?? 'optimum') {
    case 'optimum':
      return { modelFile: 'model.onnx', graph: buildLlamaGraph(config, weights, graph), writeFiles: hfFiles };
    case 'optimum-merged':
      return {
        modelFile: MERGED_DECODER_FILE,
        graph: buildMergedDecoder(config, weights, {
          dtype,
          fused: graph.fused,
          logits: graph.logits,
          positionIds: graph.positionIds,
          int4: graph.int4,
        }),
        dataFileName: `${MERGED_DECODER_FILE}_data`,
        writeFiles: hfFiles,
      };
    case 'genai':
      return {
        modelFile: 'model.onnx',
        graph: buildLlamaGraph(config, weights, { ...GENAI_GRAPH, dtype, int4: graph.int4 }),
        alwaysExternal: true,
        async writeFiles(dir) {
          const genai = buildGenaiConfig({
            config,
            filename: 'model.onnx',
            bosTokenId: Number(generationConfig.bos_token_id ?? 1),
            eosTokenIds: [generationConfig.eos_token_id ?? 2].flat().map(Number),
            positionIds: GENAI_GRAPH.positionIds !== false,
          });
          await writeJson(join(dir, 'genai_config.json'), genai);
          await tokenizerFiles(dir);
        },
      };
    case 'llama2-onnx':
      // The release has float16 and float32 graphs only.
      if (graph.int4) throw new Error('the llama2-onnx layout is written without int4 (float16 or float32)');
      return {
        modelFile: llama2OnnxModelPath(`${config.numLayers}L_${dtype}`),
        graph: buildLlama2OnnxGraph(config, weights, { dtype, fused: graph.fused }),
        async writeFiles(dir) {
          if (!vocab) throw new Error('the llama2-onnx layout needs a vocabulary to write tokenizer.model');
          await writeFile(join(dir, 'tokenizer.model'), encodeSentencePieceModel(vocab));
        },
      };
  }
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
    const plan = layoutPlan(options, generationConfig);
    const modelPath = join(dir, plan.modelFile);
    await mkdir(dirname(modelPath), { recursive: true });
    const written = writeModel(plan.graph, modelPath, {
      externalData: plan.alwaysExternal || options.externalData,
      dataFileName: options.dataFileName ?? plan.dataFileName,
      onProgress: options.onProgress,
    });
    await plan.writeFiles(dir);
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
