import type { InferenceSession } from 'onnxruntime-node';
import type { DecoderRunner } from './decoder-runner.js';
import { createKvRowsSession, DeviceKvCache, presentOutputNames } from './device-kv-cache.js';
import type { ExecutionProvider, ProviderChoice } from './execution-provider.js';
import { readGenaiConfig } from './genai-config.js';
import { HostKvCache } from './host-kv-cache.js';
import { detectIoLayout, type IoLayout } from './io-layout.js';
import type { KvCache } from './kv-cache.js';
import { readLayoutConfig } from './layout-config.js';
import { detectLlama2OnnxLayout, Llama2OnnxRunner } from './llama2-onnx-runner.js';
import type { ModelConfig } from './model-config.js';
import { modelFileMentions } from './model-file-scan.js';
import { findModelFiles } from './model-files.js';
import { ModelRunner } from './model-runner.js';
import { createSession, type SessionLog } from './session.js';
import { SlotKvCache } from './slot-kv-cache.js';
import { TurnTakingRunner } from './turn-taking-runner.js';

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
  runner: DecoderRunner;
  info: ModelInfo;
}

/**
 * Graphs that return only the new K/V, and GroupQueryAttention graphs, get the in-place slot cache (room for a
 * full batch: the batch loop prefills only into free room, so running and prefilling sequences together never
 * exceed it); Optimum graphs, which return the whole present, the host cache.
 */
export function createKvCache(
  layout: IoLayout,
  maxBatchSize: number,
  contextTokens: number,
  provider: ExecutionProvider = 'cpu',
): KvCache {
  return layout.kvOutputs === 'new' || layout.rightPadded
    ? new SlotKvCache(layout, maxBatchSize, contextTokens, { firstChunkPast: provider === 'webgpu' ? 1 : 0 })
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
      kvCache: 'host',
      // Its cache grows with each sequence: nothing reserved at load.
      kvCacheBytes: 0,
    },
  };
}

/**
 * Optimum (plain or merged) and genai layouts: batched runs, or one sequence per run when rows cannot share one.
 * `deviceOutputs`: the session returns present as gpu-buffer tensors (WebGPU), kept there by DeviceKvCache.
 */
async function decoderModel(
  session: InferenceSession,
  layout: IoLayout,
  config: ModelConfig,
  options: ModelLoadOptions,
  provider: ExecutionProvider,
  deviceOutputs: boolean,
): Promise<LoadedModel> {
  const rowsSession = deviceOutputs ? await createKvRowsSession(layout.kvDtype) : undefined;
  const hostCache = () => (rowsSession ? new DeviceKvCache(layout, rowsSession) : new HostKvCache(layout));
  // Without position_ids an eager graph numbers every row from the batch's past length: right only unpadded.
  const turnTaking = layout.positionIds === undefined && !layout.rightPadded;
  const cache = turnTaking
    ? undefined
    : rowsSession
      ? hostCache()
      : createKvCache(layout, options.maxBatchSize, config.contextTokens, provider);
  const runner = cache
    ? new ModelRunner(session, layout, cache)
    : new TurnTakingRunner(
        () => new ModelRunner(session, layout, hostCache()),
        async () => {
          await rowsSession?.release();
          await session.release();
        },
      );
  return {
    config,
    runner,
    info: {
      maxContextTokens: config.contextTokens,
      vocabSize: config.vocabSize,
      provider,
      dtype: layout.kvDtype,
      kvCache: deviceOutputs ? 'device' : 'host',
      kvCacheBytes: cache?.reservedBytes ?? 0,
    },
  };
}

/** A model directory in any layout users have (see model-files.ts) → a session and a runner to match. */
export async function loadModel(options: ModelLoadOptions, log: SessionLog): Promise<LoadedModel> {
  const files = findModelFiles(options.modelDir);
  const config = await readLayoutConfig(options.modelDir, options.maxModelLen, files);
  const genai = files.layout === 'genai' ? await readGenaiConfig(options.modelDir) : undefined;
  const groupQueryAttention =
    files.layout !== 'llama2-onnx' && modelFileMentions(files.modelPath, 'GroupQueryAttention');
  // On WebGPU, an Optimum graph returning present keeps its KV cache on the device (DeviceKvCache); the
  // right-padded (GroupQueryAttention) and Llama-2-Onnx caches are written on the host.
  const keepsPresentOnDevice =
    (files.layout === 'optimum' || files.layout === 'optimum-merged') &&
    !groupQueryAttention &&
    config.numLayers !== undefined;
  // A worker shares the cores with the thread it reports to: its ONNX Runtime threads do not spin between runs.
  const { session, provider, ...created } = await createSession(
    files.modelPath,
    {
      ...options,
      spinBetweenRuns: false,
      deviceOutputs: keepsPresentOnDevice ? presentOutputNames(config.numLayers!) : [],
    },
    log,
  );
  try {
    if (files.layout === 'llama2-onnx') return llama2OnnxModel(session, config, provider);
    const layout = detectIoLayout(session, config, { names: genai?.names, groupQueryAttention });
    if (provider === 'webgpu' && !created.deviceOutputs) {
      log(
        'info',
        'the KV cache stays on the host (only an Optimum graph returning present keeps it on the GPU)',
      );
    }
    return await decoderModel(session, layout, config, options, provider, created.deviceOutputs);
  } catch (err) {
    await session.release();
    throw err;
  }
}
