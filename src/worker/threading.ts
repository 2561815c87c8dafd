/**
 * How many worker threads (one ONNX Runtime session each) and how many intra-op threads per session a server
 * starts with when not told. On the CPU one session already spreads every operator over all cores, and a
 * decode step of a batch costs little more than one of a single sequence, so a second worker would only split
 * the cores and the batch between two sessions: one worker using every core. With CUDA the GPU does the work:
 * one worker per GPU (worker i uses device i), and the cores are shared among them for the host-side work.
 */
import { spawnSync } from 'node:child_process';
import type { ExecutionProvider } from '../engine/session.js';

/** GPUs `nvidia-smi -L` lists; 0 where it is missing or fails. */
export function countGpus(): number {
  const result = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 5000 });
  if (result.status !== 0) return 0;
  return result.stdout.split('\n').filter((line) => line.startsWith('GPU ')).length;
}

export function defaultWorkers(provider: ExecutionProvider, gpus: () => number = countGpus): number {
  return provider === 'cuda' ? Math.max(1, gpus()) : 1;
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
