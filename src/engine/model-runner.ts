import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { float16ToFloat32 } from './float16.js';
import type { IoLayout } from './io-layout.js';
import { type Feeds, int64Tensor, type KvCache, type Outputs } from './kv-cache.js';
import { leftPadded } from './prefill-rows.js';

/**
 * Runs the decoder graph: a prefill chunk of one sequence or first chunks of several, or a decode step of the
 * whole running batch. It alone talks to the KV cache: a sequence is prefilled, joins the batch, and is
 * released, and the cache's rows follow. It returns float32 logits of each sequence's last position; what to
 * do with them is the caller's.
 */
export class ModelRunner {
  private readonly cache: KvCache;
  private readonly session: InferenceSession;
  private readonly layout: IoLayout;
  /** Only what the next step needs: outputs not fetched are not copied out of ONNX Runtime. */
  private readonly fetches: string[];

  constructor(session: InferenceSession, layout: IoLayout, cache: KvCache) {
    this.session = session;
    this.layout = layout;
    this.cache = cache;
    this.fetches = [layout.logits, ...layout.outputKeys, ...layout.outputValues];
  }

  /** Feeds the next chunk of one sequence's prompt; the logits predict the token after its last one. */
  async prefill(id: string, tokenIds: readonly number[]): Promise<Float32Array> {
    return (await this.prefillBatch([id], [tokenIds]))[0]!;
  }

  /**
   * Feeds a chunk of each sequence in one run (several: whole first chunks, left-padded to the longest, which
   * costs little more than one on a machine whose runs stream all the weights). One logits row per sequence.
   */
  async prefillBatch(
    ids: readonly string[],
    chunks: readonly (readonly number[])[],
  ): Promise<Float32Array[]> {
    const counts = chunks.map((chunk) => chunk.length);
    const outputs = await this.run(this.cache.prefillFeeds(ids, counts), leftPadded(chunks));
    this.cache.afterPrefill(ids, counts, outputs);
    return this.lastLogits(outputs, ids.length);
  }

  /** Moves a sequence whose whole prompt is prefilled into the decode batch. */
  join(id: string): void {
    this.cache.join(id);
  }

  /** Forgets sequences, in the batch or still prefilling (unknown ids are ignored). */
  release(ids: readonly string[]): void {
    this.cache.release(ids);
  }

  /**
   * One decode step of the whole batch: `tokenIds[i]` is the next input of sequence `ids[i]`, and `ids` must be
   * exactly the sequences that joined and were not released, in any order. One logits row back per sequence,
   * in the order of `ids` (the cache keeps its rows in an order of its own).
   */
  async decode(ids: readonly string[], tokenIds: readonly number[]): Promise<Float32Array[]> {
    const rows = this.cache.rows;
    const given = new Map(ids.map((id, i) => [id, i]));
    if (rows.length !== ids.length || rows.some((id) => !given.has(id))) {
      throw new Error(`decode was given sequences [${ids.join(', ')}], the batch holds [${rows.join(', ')}]`);
    }
    await this.cache.flush?.();
    const outputs = await this.run(
      this.cache.decodeFeeds(),
      rows.map((id) => [tokenIds[given.get(id)!]!]),
    );
    this.cache.afterDecode(outputs);
    const logits = this.lastLogits(outputs, rows.length);
    const byId = new Map(rows.map((id, row) => [id, logits[row]!]));
    return ids.map((id) => byId.get(id)!);
  }

  /** Releases the session (and what the cache holds outside the heap): the runner is not used after this. */
  async close(): Promise<void> {
    await this.cache.dispose?.();
    await this.session.release();
  }

  private run(feeds: Feeds, tokens: (readonly number[])[]): Promise<Outputs> {
    const dims = [tokens.length, tokens[0]!.length];
    feeds[this.layout.inputIds] = int64Tensor(tokens.flat(), dims);
    return this.session.run(feeds, this.fetches);
  }

  /** Each row's logits at its last position: [B, S, V] or [B, V] graphs alike. */
  private lastLogits(outputs: Outputs, rows: number): Float32Array[] {
    const logits = outputs[this.layout.logits] as Tensor;
    const vocab = logits.dims[logits.dims.length - 1]!;
    const positions = logits.dims.length === 3 ? logits.dims[1]! : 1;
    const data = logits.data;
    return Array.from({ length: rows }, (_, row) => {
      const start = (row * positions + positions - 1) * vocab;
      // A view, not a copy: the fetched output is a fresh buffer of ours, and the penalties may edit it.
      if (data instanceof Float32Array) return data.subarray(start, start + vocab);
      if (data instanceof Uint16Array) return float16ToFloat32(data.subarray(start, start + vocab));
      throw new Error(`logits of type ${logits.type} are not supported (float32 or float16)`);
    });
  }
}
