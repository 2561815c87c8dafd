/**
 * What the batch loop asks of a model: prefill chunks, move a prefilled sequence into the decode batch, one
 * decode step for the whole batch, forget sequences. ModelRunner does it with batched runs; the runners of
 * graphs that take one sequence per run (TurnTakingRunner, Llama2OnnxRunner) with one run per sequence.
 */
export interface DecoderRunner {
  /** Feeds the next chunk of one sequence's prompt; the logits predict the token after its last one. */
  prefill(id: string, tokenIds: readonly number[]): Promise<Float32Array>;
  /** Feeds a chunk of each sequence (several: whole first chunks); one logits row per sequence. */
  prefillBatch(ids: readonly string[], chunks: readonly (readonly number[])[]): Promise<Float32Array[]>;
  /** Moves a sequence whose whole prompt is prefilled into the decode batch. */
  join(id: string): void;
  /** Forgets sequences, in the batch or still prefilling (unknown ids are ignored). */
  release(ids: readonly string[]): void;
  /** One token for each joined sequence, `tokenIds[i]` for `ids[i]`; one logits row back per sequence, in that order. */
  decode(ids: readonly string[], tokenIds: readonly number[]): Promise<Float32Array[]>;
  /** Releases the session: the runner is not used after this. */
  close(): Promise<void>;
}
