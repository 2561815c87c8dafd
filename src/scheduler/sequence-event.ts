import type { SamplingParams, StoppingParams } from '../engine/generation-params.js';
import type { SequenceResult } from '../engine/sequence-result.js';

/** One sequence to generate: a prompt already tokenized, and how to sample and stop. */
export interface SequenceSpec {
  promptIds: number[];
  sampling: SamplingParams;
  stopping: StoppingParams;
}

/**
 * What `Scheduler.generate` yields, per sequence (`index` = position in the request's sequence list). A 'done'
 * carries the worker's result with its timings counted from the sequence's entry into the scheduler's queue.
 */
export type SequenceEvent =
  | { type: 'token'; index: number; tokenId: number; text: string }
  | ({ type: 'done'; index: number } & SequenceResult);

export type SequenceDone = Extract<SequenceEvent, { type: 'done' }>;
