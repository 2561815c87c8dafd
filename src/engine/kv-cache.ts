import { type InferenceSession, Tensor } from 'onnxruntime-node';
import type { IoLayout, KvDtype } from './io-layout.js';

export type Feeds = Record<string, Tensor>;
export type Outputs = InferenceSession.OnnxValueMapType;
export type KvData = Float32Array | Uint16Array;

export function allocateKv(dtype: KvDtype, size: number): KvData {
  return dtype === 'float16' ? new Uint16Array(size) : new Float32Array(size);
}

export function int64Tensor(values: readonly number[], dims: readonly number[]): Tensor {
  return new Tensor('int64', BigInt64Array.from(values, BigInt), dims);
}

/**
 * A run's K/V outputs in cache order (keys of layers 0..n-1, then values), each checked to be
 * [rows, kvHeads, width, headDim] before its data is trusted.
 */
export function checkedKvOutputs(outputs: Outputs, layout: IoLayout, rows: number, width: number): Tensor[] {
  return [...layout.outputKeys, ...layout.outputValues].map((name) => {
    const tensor = outputs[name] as Tensor | undefined;
    const dims = tensor?.dims;
    if (
      !tensor ||
      dims?.[0] !== rows ||
      dims[1] !== layout.kvHeads ||
      dims[2] !== width ||
      dims[3] !== layout.headDim
    ) {
      throw new Error(
        `output ${name} has shape [${dims?.join(', ')}], expected [${rows}, ${layout.kvHeads}, ${width}, ${layout.headDim}]`,
      );
    }
    return tensor;
  });
}

/**
 * Where the keys and values of past positions live between runs, and the attention mask and positions that
 * go with them. A sequence is prefilled (alone in chunks, or its whole prompt in one run with others), then
 * joins the running batch, which decode steps advance one token per row; it leaves when it ends. Both
 * implementations (HostKvCache, SlotKvCache) take a sequence in only in afterPrefill: a run that throws between
 * the feeds and the after-call leaves the cache as it was.
 */
export interface KvCache {
  /** Bytes allocated up front for the whole batch at full length (0 for a cache that grows as it goes). */
  readonly reservedBytes: number;
  /** Sequence ids of the running batch, in row order (an order of the cache's own: see each implementation). */
  readonly rows: readonly string[];
  /**
   * Past, mask and positions for running `counts[i]` more tokens of each sequence `ids[i]` outside the batch in
   * one run. Several sequences only when none has anything cached yet: rows left-padded to the longest (see
   * prefill-rows.ts). It only reads: a sequence's first chunk gets an empty past and takes no row yet, a later
   * chunk gets its own cached positions as past. Throws, changing nothing, when the new sequences would not fit.
   */
  prefillFeeds(ids: readonly string[], counts: readonly number[]): Feeds;
  /**
   * Takes that run's outputs (real positions only) as the sequences' caches: a sequence seen for the first
   * time takes its place here (a row of the prefill run's own block on the host, a free slot row in place).
   */
  afterPrefill(ids: readonly string[], counts: readonly number[], outputs: Outputs): void;
  /** Moves a prefilled sequence into the running batch (as the last row). */
  join(id: string): void;
  /** Forgets sequences, in the batch or still prefilling. */
  release(ids: readonly string[]): void;
  /**
   * Finishes what joins and leaves deferred (a device-resident cache re-lays its rows out with a run of its
   * own); the runner awaits it before asking for any run's feeds.
   */
  flush?(): Promise<void>;
  /** Past, mask and positions for one new token per row. */
  decodeFeeds(): Feeds;
  /** Takes a decode step's present outputs as the batch's cache. */
  afterDecode(outputs: Outputs): void;
  /** Frees what the cache holds outside JavaScript's heap (device buffers, a session of its own). */
  dispose?(): Promise<void>;
}
