/**
 * What `scripts/gpu-check.sh` measures: decode step times of random Llama models with a preset's layer shapes at
 * two layer counts, on each execution provider that loads, at several batch sizes; extrapolated to the preset's
 * full depth (step = fixed + layers × per-layer, fitted through the two counts) and set against the bound the
 * memory bandwidth puts on a step that reads every weight once.
 */
import { statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ExecutionProvider } from '../engine/execution-provider.js';
import { loadModel } from '../engine/load-model.js';
import { median } from './percentiles.js';

export const GPU_CHECK_SCHEMA = 'llama-endpoint/gpu-check/1';

/** Prompt tokens prefilled per row before the timed decode steps. */
const PROMPT_TOKENS = 16;

export interface StepTiming {
  provider: ExecutionProvider;
  layers: number;
  batch: number;
  /** Each timed decode step, in order. */
  stepMs: number[];
  medianStepMs: number;
}

export interface ProviderStatus {
  provider: ExecutionProvider;
  /** Whether it ran at least one model. */
  loaded: boolean;
  /** Why it did not load (with how to install it), or why it stopped before the last model. */
  error?: string;
  /** Whether the KV cache stayed on the device (WebGPU with a present graph). */
  deviceKvCache?: boolean;
}

export interface Extrapolation {
  provider: ExecutionProvider;
  batch: number;
  fullLayers: number;
  /** Fitted through the two layer counts' median steps. */
  fixedMs: number;
  perLayerMs: number;
  stepMs: number;
  tokensPerS: number;
  /** batch × bandwidth ÷ the full model's weight bytes; absent when the bandwidth is unknown. */
  bandwidthBoundTokensPerS?: number;
}

export interface Bandwidth {
  bytesPerS: number;
  /** Where the figure comes from: a device's datasheet or a measurement here. */
  source: string;
}

export interface GpuCheckReport {
  schema: typeof GPU_CHECK_SCHEMA;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; memoryBytes: number; gpus: string[] };
  model: {
    preset: string;
    dtype: string;
    layerCounts: [number, number];
    /** Weight bytes (model files) at each layer count, and what that makes per layer and at full depth. */
    weightBytes: [number, number];
    bytesPerLayer: number;
    fullLayers: number;
    fullWeightBytes: number;
  };
  bandwidth?: Record<string, Bandwidth>;
  providers: ProviderStatus[];
  steps: StepTiming[];
  extrapolated: Extrapolation[];
}

/** Bytes of a model directory's ONNX files (graph and external weights). */
export async function modelBytes(dir: string): Promise<number> {
  const files = (await readdir(dir)).filter((name) => name.startsWith('model.onnx'));
  return files.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/** One model's step timings on one provider (layers are filled in by the caller, who knows the model). */
export interface ProviderRun {
  timings: Omit<StepTiming, 'layers'>[];
  deviceKvCache: boolean;
}

/**
 * Median decode step of `batch` rows (each prefilled with PROMPT_TOKENS tokens first) over `steps` steps after
 * one untimed step; one session per model and provider, all batches on it. Throws when the provider cannot load.
 */
export async function timeDecodeSteps(
  modelDir: string,
  provider: ExecutionProvider,
  batches: readonly number[],
  steps: number,
  log: (message: string) => void,
): Promise<ProviderRun> {
  const { runner, info } = await loadModel(
    { modelDir, provider, deviceId: 0, intraOpThreads: 0, maxBatchSize: Math.max(...batches) },
    (_, message) => log(message),
  );
  try {
    const timings: Omit<StepTiming, 'layers'>[] = [];
    const prompt = Array.from({ length: PROMPT_TOKENS }, (_, i) => 1 + ((i * 7919) % 30000));
    for (const batch of batches) {
      const ids = Array.from({ length: batch }, (_, row) => `b${batch}-${row}`);
      // First chunks of several sequences are prefilled in one run, as the batch loop does.
      await runner.prefillBatch(
        ids,
        ids.map(() => prompt),
      );
      for (const id of ids) runner.join(id);
      const tokens = ids.map((_, row) => 100 + row);
      const stepMs: number[] = [];
      for (let step = 0; step <= steps; step++) {
        const started = performance.now();
        await runner.decode(ids, tokens);
        if (step > 0) stepMs.push(performance.now() - started);
      }
      runner.release(ids);
      timings.push({ provider: info.provider, batch, stepMs, medianStepMs: median(stepMs) });
      log(`${provider} batch ${batch}: median step ${median(stepMs).toFixed(1)} ms`);
    }
    return { timings, deviceKvCache: info.kvCache === 'device' };
  } finally {
    await runner.close();
  }
}

/**
 * Step time at `fullLayers` from the medians at two layer counts: a straight line through them (the per-layer
 * slope is at least 0: at tiny sizes noise can tilt it).
 */
export function extrapolate(
  provider: ExecutionProvider,
  batch: number,
  points: readonly [{ layers: number; ms: number }, { layers: number; ms: number }],
  fullLayers: number,
  fullWeightBytes: number,
  bandwidth?: Bandwidth,
): Extrapolation {
  const [a, b] = points;
  const perLayerMs = Math.max(0, (b.ms - a.ms) / (b.layers - a.layers));
  const fixedMs = Math.max(0, b.ms - perLayerMs * b.layers);
  const stepMs = fixedMs + perLayerMs * fullLayers;
  return {
    provider,
    batch,
    fullLayers,
    fixedMs,
    perLayerMs,
    stepMs,
    tokensPerS: (batch * 1000) / stepMs,
    ...(bandwidth ? { bandwidthBoundTokensPerS: (batch * bandwidth.bytesPerS) / fullWeightBytes } : {}),
  };
}

/** Datasheet memory bandwidth (bytes/s) of common data-centre GPUs, matched on nvidia-smi's name. */
const GPU_BANDWIDTH: [RegExp, number][] = [
  [/H200/i, 4.8e12],
  [/H100.*(SXM|HBM3)/i, 3.35e12],
  [/H100.*NVL/i, 3.9e12],
  [/H100/i, 2.0e12],
  [/A100.*80/i, 2.0e12],
  [/A100/i, 1.555e12],
  [/L40S|L40/i, 0.864e12],
  [/A10\b|A10G/i, 0.6e12],
  [/L4\b/i, 0.3e12],
  [/T4\b/i, 0.32e12],
  [/V100/i, 0.9e12],
];

export function gpuBandwidth(name: string): Bandwidth | undefined {
  const match = GPU_BANDWIDTH.find(([pattern]) => pattern.test(name));
  return match && { bytesPerS: match[1], source: `datasheet: ${name}` };
}

/**
 * The host's read bandwidth, measured: comparing two equal 256 MiB buffers reads both once (one thread, so a
 * floor for what ONNX Runtime's threads reach together).
 */
export function measureHostReadBandwidth(): Bandwidth {
  const size = 256 * 1024 * 1024;
  const a = Buffer.alloc(size, 1);
  const b = Buffer.alloc(size, 1);
  a.compare(b);
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    a.compare(b);
    rates.push((2 * size) / ((performance.now() - started) / 1000));
  }
  return { bytesPerS: median(rates), source: 'measured here: one thread reading two 256 MiB buffers' };
}
