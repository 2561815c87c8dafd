import type { InferenceSession } from 'onnxruntime-node';
import type { DecoderRunner } from './decoder-runner.js';
import { readGenaiConfig } from './genai-config.js';
import { HostKvCache } from './host-kv-cache.js';
import { detectIoLayout, type IoLayout } from './io-layout.js';
import type { KvCache } from './kv-cache.js';
import { readLayoutConfig } from './layout-config.js';
import { detectLlama2OnnxLayout, Llama2OnnxRunner } from './llama2-onnx-runner.js';
import type { ModelConfig } from './model-config.js';
import { modelFileMentions } from './model-file-scan.js';
import { findModelFiles, type ModelFiles } from './model-files.js';
import { ModelRunner } from './model-runner.js';
import { createSession, type ExecutionProvider } from './session.js';
import { SlotKvCache } from './slot-kv-cache.js';
import { TurnTakingRunner } from './turn-taking-runner.js';

/** Sequences decoded together in one step when the operator does not say. */
export const DEFAULT_MAX_BATCH_SIZE = 16;

/** Where and how one model is loaded: one session and a KV cache for its batch. */
export interface ModelLoadOptions {
  modelDir: string;
  provider: ExecutionProvider;
  /** CUDA device index. */
  deviceId: number;
  /** ONNX Runtime intra-op threads for the session. */
  intraOpThreads: number;
  /** Most sequences decoded together in one step: the KV cache has room for this many. */
  maxBatchSize: number;
}

/** What the model is, reported once loaded. */
export interface ModelInfo {
  /** Context length (max_position_embeddings). */
  maxContextTokens: number;
  vocabSize: number;
  /** The provider actually used (CUDA falls back to CPU when its libraries are missing). */
  provider: ExecutionProvider;
  dtype: 'float32' | 'float16';
}

export interface LoadedModel {
  config: ModelConfig;
  runner: DecoderRunner;
  info: ModelInfo;
}

/**
 * Graphs that return only the new K/V, and GroupQueryAttention graphs, get the in-place slot cache (room for a
 * full batch: the batch loop prefills only into free room, so running and prefilling sequences together never
 * exceed it); Optimum graphs, which return the whole present, the host cache.
 */
export function createKvCache(layout: IoLayout, maxBatchSize: number, contextTokens: number): KvCache {
  return layout.kvOutputs === 'new' || layout.rightPadded
    ? new SlotKvCache(layout, maxBatchSize, contextTokens)
    : new HostKvCache(layout);
}

function llama2OnnxModel(
  session: InferenceSession,
  config: ModelConfig,
  provider: ExecutionProvider,
): LoadedModel {
  const layout = detectLlama2OnnxLayout(session);
  return {
    config,
    runner: new Llama2OnnxRunner(session, layout),
    info: {
      maxContextTokens: config.contextTokens,
      vocabSize: config.vocabSize,
      provider,
      dtype: layout.kvDtype,
    },
  };
}

/** Optimum (plain or merged) and genai layouts: batched runs, or one sequence per run when rows cannot share one. */
async function decoderModel(
  files: ModelFiles,
  options: ModelLoadOptions,
  session: InferenceSession,
  provider: ExecutionProvider,
  config: ModelConfig,
): Promise<LoadedModel> {
  const genai = files.layout === 'genai' ? await readGenaiConfig(options.modelDir) : undefined;
  const layout = detectIoLayout(session, config, {
    names: genai?.names,
    groupQueryAttention: modelFileMentions(files.modelPath, 'GroupQueryAttention'),
  });
  // Without position_ids an eager graph numbers every row from the batch's past length: right only unpadded.
  const runner =
    layout.positionIds === undefined && !layout.rightPadded
      ? new TurnTakingRunner(
          () => new ModelRunner(session, layout, new HostKvCache(layout)),
          () => session.release(),
        )
      : new ModelRunner(session, layout, createKvCache(layout, options.maxBatchSize, config.contextTokens));
  return {
    config,
    runner,
    info: {
      maxContextTokens: config.contextTokens,
      vocabSize: config.vocabSize,
      provider,
      dtype: layout.kvDtype,
    },
  };
}

/** A model directory in any layout users have (see model-files.ts) → a session and a runner to match. */
export async function loadModel(
  options: ModelLoadOptions,
  warn: (message: string) => void,
): Promise<LoadedModel> {
  const files = findModelFiles(options.modelDir);
  const config = await readLayoutConfig(options.modelDir, files);
  // A worker shares the cores with the thread it reports to: its ONNX Runtime threads do not spin between runs.
  const { session, provider } = await createSession(
    files.modelPath,
    { ...options, spinBetweenRuns: false },
    warn,
  );
  try {
    return files.layout === 'llama2-onnx'
      ? llama2OnnxModel(session, config, provider)
      : await decoderModel(files, options, session, provider, config);
  } catch (err) {
    await session.release();
    throw err;
  }
}
