import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createKvRowsSession, DeviceKvCache, presentOutputNames } from './device-kv-cache.js';
import type { ExecutionProvider, ProviderChoice } from './execution-provider.js';
import { HostKvCache } from './host-kv-cache.js';
import { detectIoLayout, type IoLayout } from './io-layout.js';
import type { KvCache } from './kv-cache.js';
import { type ModelConfig, readModelConfig } from './model-config.js';
import { ModelRunner } from './model-runner.js';
import { createSession, type SessionLog } from './session.js';
import { SlotKvCache } from './slot-kv-cache.js';

/** Sequences decoded together in one step when the operator does not say. */
export const DEFAULT_MAX_BATCH_SIZE = 16;

/** Where and how one model is loaded: one session and a KV cache for its batch. */
export interface ModelLoadOptions {
  modelDir: string;
  /** A provider that must load, or 'auto' (see createSession). */
  provider: ProviderChoice;
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
  /** The provider in use: the one asked for, or what 'auto' chose. */
  provider: ExecutionProvider;
  dtype: 'float32' | 'float16';
  /** Where the KV cache lives between steps: the WebGPU device (a present graph on webgpu) or host memory. */
  kvCache: 'device' | 'host';
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
export function createKvCache(
  layout: IoLayout,
  maxBatchSize: number,
  contextTokens: number,
  provider: ExecutionProvider = 'cpu',
): KvCache {
  return layout.kvOutputs === 'new'
    ? new SlotKvCache(layout, maxBatchSize, contextTokens, { firstChunkPast: provider === 'webgpu' ? 1 : 0 })
    : new HostKvCache(layout);
}

/** A model directory → a session with its I/O layout detected and a KV cache to match. */
export async function loadModel(options: ModelLoadOptions, log: SessionLog): Promise<LoadedModel> {
  const config = await readModelConfig(options.modelDir, options.maxModelLen);
  const modelPath = join(options.modelDir, 'model.onnx');
  if (!existsSync(modelPath)) throw new Error(`no model.onnx in ${options.modelDir}`);
  // A worker shares the cores with the thread it reports to: its ONNX Runtime threads do not spin between runs.
  // On WebGPU, a graph returning present keeps its KV cache on the device (DeviceKvCache).
  const deviceOutputs = presentOutputNames(config.numLayers);
  const { session, provider, ...created } = await createSession(
    modelPath,
    { ...options, spinBetweenRuns: false, deviceOutputs },
    log,
  );
  try {
    const layout = detectIoLayout(session, config);
    if (provider === 'webgpu' && !created.deviceOutputs) {
      log(
        'info',
        'the graph returns new_key_values: its KV cache stays on the host (present outputs would keep it on the GPU)',
      );
    }
    const cache = created.deviceOutputs
      ? new DeviceKvCache(layout, await createKvRowsSession(layout.kvDtype))
      : createKvCache(layout, options.maxBatchSize, config.contextTokens, provider);
    return {
      config,
      runner: new ModelRunner(session, layout, cache),
      info: {
        maxContextTokens: config.contextTokens,
        vocabSize: config.vocabSize,
        provider,
        dtype: layout.kvDtype,
        kvCache: created.deviceOutputs ? 'device' : 'host',
        kvCacheBytes: cache.reservedBytes,
      },
    };
  } catch (err) {
    await session.release();
    throw err;
  }
}
