/**
 * Runs a graph that takes one sequence per run: each sequence gets a runner of its own (its own KV cache, one
 * row) on the shared session, and a decode step runs the sequences one after another. For graphs that cannot
 * batch rows of different lengths: an Optimum export without position_ids computes positions as
 * past_length + 0..S−1 for every row (as older exports traced Hugging Face's Llama), right only for a row with
 * no padding.
 */
import type { DecoderRunner } from './decoder-runner.js';

export class TurnTakingRunner implements DecoderRunner {
  private readonly runners = new Map<string, DecoderRunner>();

  /** `single()`: a runner for one more sequence on the shared session; `closeSession` releases that session. */
  constructor(
    private readonly single: () => DecoderRunner,
    private readonly closeSession: () => Promise<void>,
  ) {}

  async prefill(id: string, tokenIds: readonly number[]): Promise<Float32Array> {
    return (await this.prefillBatch([id], [tokenIds]))[0]!;
  }

  async prefillBatch(
    ids: readonly string[],
    chunks: readonly (readonly number[])[],
  ): Promise<Float32Array[]> {
    const logits: Float32Array[] = [];
    for (const [i, id] of ids.entries()) {
      const runner = this.runners.get(id) ?? this.single();
      logits.push(await runner.prefill(id, chunks[i]!));
      this.runners.set(id, runner);
    }
    return logits;
  }

  join(id: string): void {
    this.runnerOf(id).join(id);
  }

  release(ids: readonly string[]): void {
    for (const id of ids) {
      this.runners.get(id)?.release([id]);
      this.runners.delete(id);
    }
  }

  async decode(ids: readonly string[], tokenIds: readonly number[]): Promise<Float32Array[]> {
    const logits: Float32Array[] = [];
    for (const [i, id] of ids.entries())
      logits.push(...(await this.runnerOf(id).decode([id], [tokenIds[i]!])));
    return logits;
  }

  close(): Promise<void> {
    return this.closeSession();
  }

  private runnerOf(id: string): DecoderRunner {
    const runner = this.runners.get(id);
    if (!runner) throw new Error(`sequence ${id} is not prefilled`);
    return runner;
  }
}
