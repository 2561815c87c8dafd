import type { FinishReason, SamplingParams, StoppingParams } from '../engine/generation-params.js';

/** One sequence to generate: a prompt already tokenized, and how to sample and stop. */
export interface SequenceSpec {
  promptIds: number[];
  sampling: SamplingParams;
  stopping: StoppingParams;
}

/** What `Scheduler.generate` yields, per sequence (`index` = position in the request's sequence list). */
export type SequenceEvent =
  | { type: 'token'; index: number; tokenId: number; text: string }
  | {
      type: 'done';
      index: number;
      finishReason: FinishReason;
      /** The continuation, cut before any stop string. */
      text: string;
      promptTokens: number;
      generatedTokens: number;
      /** ms waiting (main queue + worker queue), to the first token, and in all, from entering the queue. */
      queueMs: number;
      firstTokenMs?: number;
      totalMs: number;
      error?: string;
    };

export type SequenceDone = Extract<SequenceEvent, { type: 'done' }>;
