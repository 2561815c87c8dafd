/**
 * How many workers (one ONNX Runtime session each), on which devices, and how many intra-op threads per session
 * a server starts with when not told. On the CPU one session already spreads every operator over all cores, and
 * a decode step of a batch costs little more than one of a single sequence, so a second worker would only split
 * the cores and the batch between two sessions: one worker using every core. With CUDA the GPU does the work:
 * one worker per visible GPU, each on its own device, and the cores are shared among them for the host-side
 * work. WebGPU has no device choice in ONNX Runtime (Dawn picks the adapter): one worker.
 */
import type { ProviderChoice } from '../engine/execution-provider.js';
import { visibleGpuIds } from '../engine/gpu-devices.js';

/** The device of each worker: every visible GPU for cuda (and auto, which tries cuda first), else device 0. */
export function defaultDeviceIds(
  provider: ProviderChoice,
  visible: () => number[] = visibleGpuIds,
): number[] {
  if (provider !== 'cuda' && provider !== 'auto') return [0];
  const ids = visible();
  return ids.length > 0 ? ids : [0];
}

export function defaultIntraOpThreads(cores: number, workers: number): number {
  return Math.max(1, Math.floor(cores / workers));
}

/**
 * Prompt tokens per prefill run. Running sequences wait for at most one chunk between two of their tokens. On
 * the 2-core reference machine 128 tokens of the bench model take 24 ms, about two decode steps of a batch of
 * 16, and prefill faster per token than 32-token (10 ms) or 512-token (112 ms) runs.
 */
export const DEFAULT_PREFILL_CHUNK_TOKENS = 128;
