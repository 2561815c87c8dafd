/** Why a sequence was ended from outside: its client went away (or stopped reading), or its time ran out. */
export type CancelReason = 'cancelled' | 'timeout';

/** Why a sequence ended, in OpenAI's words where they exist. */
export type FinishReason = 'stop' | 'length' | CancelReason | 'error';

/** ms, all from the moment the sequence arrived where they were measured (the worker, or the scheduler's queue). */
export interface SequenceTimings {
  /** Until its prefill started. */
  queueMs: number;
  /** Until its first generated token; absent when it generated none. */
  firstTokenMs?: number;
  /** Between each generated token and the one before it: one fewer than the tokens. */
  interTokenMs: number[];
  /** Until it ended. */
  totalMs: number;
}

/**
 * Why a sequence ended with finish reason 'error'. 'invalid-request': the request cannot run on this model (a
 * prompt token outside the vocabulary, a prompt that does not fit the context): the caller's to fix.
 * 'failed': the worker could not run it (a failed run, a worker that ended or is shutting down).
 */
export interface SequenceError {
  kind: 'invalid-request' | 'failed';
  message: string;
}

/** What a finished sequence reports; every layer above the worker's batch loop carries it as it is. */
export interface SequenceResult {
  finishReason: FinishReason;
  /** The whole continuation (without the prompt), cut before any stop string. */
  text: string;
  promptTokens: number;
  generatedTokens: number;
  timings: SequenceTimings;
  /** Set when finishReason is 'error'. */
  error?: SequenceError;
}

/**
 * The result of a sequence that ended where nothing it generated is known (its worker died, or it was cancelled
 * before it left the scheduler's queue): no text, no tokens, no time spent in a worker.
 */
export function emptyResult(
  promptTokens: number,
  finishReason: FinishReason,
  error?: SequenceError,
): SequenceResult {
  return {
    finishReason,
    text: '',
    promptTokens,
    generatedTokens: 0,
    timings: { queueMs: 0, interTokenMs: [], totalMs: 0 },
    ...(error === undefined ? {} : { error }),
  };
}
