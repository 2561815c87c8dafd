/**
 * What serving a model will hold in memory, decided before it loads: the weights (once per worker) and the
 * KV cache each worker reserves for `batch` sequences of `maxModelLen` tokens. The batch follows from a KV
 * budget; a plan that cannot fit the machine (its RAM or its cgroup limit) is refused with the numbers.
 */
import { readFileSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { KvDtype } from './io-layout.js';
import type { ModelConfig } from './model-config.js';
import { kvRowCapacity } from './slot-kv-cache.js';

export class MemoryPlanError extends Error {
  override name = 'MemoryPlanError';
}

export interface MemoryPlanInput {
  /** Bytes of the model's files, loaded by each worker. */
  weightsBytes: number;
  config: Pick<ModelConfig, 'numLayers' | 'numKeyValueHeads' | 'headDim'>;
  kvDtype: KvDtype;
  /** Longest sequence (prompt + new tokens) served. */
  maxModelLen: number;
  /** Most sequences per worker, whatever the budget allows. */
  maxBatchSize: number;
  /** KV cache bytes per worker; absent: what the machine has left after the weights (see DEFAULT_MEMORY_SHARE). */
  kvCacheBytes?: number;
  workers: number;
  /** What the process may use: see machineMemoryBytes. */
  memoryBytes: number;
}

export interface MemoryPlan {
  weightsBytes: number;
  kvBytesPerToken: number;
  /** maxModelLen tokens, as the cache lays a row out. */
  kvBytesPerSequence: number;
  maxModelLen: number;
  /** Sequences each worker decodes together. */
  batch: number;
  /** The KV cache one worker reserves: batch × kvBytesPerSequence. */
  kvBytes: number;
  workers: number;
  /** workers × (weights + KV). */
  totalBytes: number;
  memoryBytes: number;
}

/** With no KV budget given, the KV cache may take this share of memory, less the weights. */
export const DEFAULT_MEMORY_SHARE = 0.9;

const KV_ELEMENT_BYTES: Record<KvDtype, number> = { float32: 4, float16: 2 };

const GiB = 2 ** 30;
const MiB = 2 ** 20;
export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(2)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Keys and values of every layer for one token. */
export function kvBytesPerToken(config: MemoryPlanInput['config'], dtype: KvDtype): number {
  return 2 * config.numLayers * config.numKeyValueHeads * config.headDim * KV_ELEMENT_BYTES[dtype];
}

export function planMemory(input: MemoryPlanInput): MemoryPlan {
  const perToken = kvBytesPerToken(input.config, input.kvDtype);
  const perSequence = perToken * kvRowCapacity(input.maxModelLen);
  const weights = input.weightsBytes * input.workers;
  const numbers =
    `weights ${formatBytes(input.weightsBytes)} × ${input.workers} worker(s), KV ${formatBytes(perSequence)} per ` +
    `sequence of ${input.maxModelLen} tokens, memory ${formatBytes(input.memoryBytes)}`;
  const budget =
    input.kvCacheBytes ?? Math.max(0, (input.memoryBytes * DEFAULT_MEMORY_SHARE - weights) / input.workers);
  const batch = Math.min(input.maxBatchSize, Math.floor(budget / perSequence));
  if (batch < 1) {
    const source =
      input.kvCacheBytes === undefined ? 'what memory leaves after the weights' : 'the KV budget';
    throw new MemoryPlanError(
      `${source} (${formatBytes(budget)} per worker) holds no sequence: ${numbers}; ` +
        'lower --max-model-len, raise --kv-cache-memory, or use fewer workers or smaller weights (int4)',
    );
  }
  const kvBytes = batch * perSequence;
  const totalBytes = input.workers * (input.weightsBytes + kvBytes);
  if (totalBytes > input.memoryBytes) {
    throw new MemoryPlanError(
      `${formatBytes(totalBytes)} needed (${numbers}, batch ${batch}: KV ${formatBytes(kvBytes)} per worker) ` +
        `exceeds the ${formatBytes(input.memoryBytes)} of memory`,
    );
  }
  return {
    weightsBytes: input.weightsBytes,
    kvBytesPerToken: perToken,
    kvBytesPerSequence: perSequence,
    maxModelLen: input.maxModelLen,
    batch,
    kvBytes,
    workers: input.workers,
    totalBytes,
    memoryBytes: input.memoryBytes,
  };
}

/** The one start-up line a plan is logged as. */
export function describePlan(plan: MemoryPlan, kvDtype: KvDtype): string {
  return (
    `memory: weights ${formatBytes(plan.weightsBytes)} per worker; KV cache (${kvDtype}) ` +
    `${formatBytes(plan.kvBytesPerToken)} per token, ${formatBytes(plan.kvBytesPerSequence)} per sequence of ` +
    `${plan.maxModelLen} tokens; batch ${plan.batch} fits: KV ${formatBytes(plan.kvBytes)} per worker; total ` +
    `${formatBytes(plan.totalBytes)} for ${plan.workers} worker(s) of ${formatBytes(plan.memoryBytes)}`
  );
}

/** Bytes of model.onnx and its external data. */
export function modelFileBytes(modelDir: string): number {
  return ['model.onnx', 'model.onnx.data', 'model.onnx_data'].reduce(
    (sum, name) => sum + (statSync(join(modelDir, name), { throwIfNoEntry: false })?.size ?? 0),
    0,
  );
}

function cgroupLimit(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    const bytes = Number(text);
    // cgroup v2 says "max" when unlimited; v1 says a number near 2^63.
    return Number.isFinite(bytes) && bytes > 0 && bytes < 2 ** 60 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/** The machine's memory, or the cgroup's limit where that is lower (a container). */
export function machineMemoryBytes(): number {
  const limits = [
    totalmem(),
    cgroupLimit('/sys/fs/cgroup/memory.max'),
    cgroupLimit('/sys/fs/cgroup/memory/memory.limit_in_bytes'),
  ];
  return Math.min(...limits.filter((limit): limit is number => limit !== undefined));
}
