import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HostKvCache } from './host-kv-cache.js';
import { detectIoLayout, type IoLayout } from './io-layout.js';
import type { KvCache } from './kv-cache.js';
import { type ModelConfig, readModelConfig } from './model-config.js';
import { ModelRunner } from './model-runner.js';
import { createSession, type ExecutionProvider } from './session.js';
import { SlotKvCache } from './slot-kv-cache.js';

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
  /** Longest sequence served (default: the model's context): the KV cache's rows are this long. */
  maxModelLen?: number;
}

/** What the model is, reported once loaded. */
export interface ModelInfo {
  /** Context length (max_position_embeddings). */
  maxContextTokens: number;
  vocabSize: number;
  /** The provider actually used (CUDA falls back to CPU when its libraries are missing). */
  provider: ExecutionProvider;
  dtype: 'float32' | 'float16';
  /** What the KV cache reserved at load (0 for a cache that grows as it goes). */
  kvCacheBytes: number;
}

export interface LoadedModel {
  config: ModelConfig;
  runner: ModelRunner;
  info: ModelInfo;
}

/**
 * Graphs that return only the new K/V get the in-place slot cache (room for a full batch: the batch loop
 * prefills only into free room, so running and prefilling sequences together never exceed it); Optimum graphs,
 * which return the whole present, the host cache.
 */
export function createKvCache(layout: IoLayout, maxBatchSize: number, contextTokens: number): KvCache {
  return layout.kvOutputs === 'new'
    ? new SlotKvCache(layout, maxBatchSize, contextTokens)
    : new HostKvCache(layout);
}

/** A model directory → a session with its I/O layout detected and a KV cache to match. */
export async function loadModel(
  options: ModelLoadOptions,
  warn: (message: string) => void,
): Promise<LoadedModel> {
  const config = await readModelConfig(options.modelDir, options.maxModelLen);
  const modelPath = join(options.modelDir, 'model.onnx');
  if (!existsSync(modelPath)) throw new Error(`no model.onnx in ${options.modelDir}`);
  // A worker shares the cores with the thread it reports to: its ONNX Runtime threads do not spin between runs.
  const { session, provider } = await createSession(modelPath, { ...options, spinBetweenRuns: false }, warn);
  try {
    const layout = detectIoLayout(session, config);
    const cache = createKvCache(layout, options.maxBatchSize, config.contextTokens);
    return {
      config,
      runner: new ModelRunner(session, layout, cache),
      info: {
        maxContextTokens: config.contextTokens,
        vocabSize: config.vocabSize,
        provider,
        dtype: layout.kvDtype,
        kvCacheBytes: cache.reservedBytes,
      },
    };
  } catch (err) {
    await session.release();
    throw err;
  }
}
