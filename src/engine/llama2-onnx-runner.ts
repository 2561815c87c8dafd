/**
 * Runs the microsoft/Llama-2-Onnx release's later interface (see the graph's description in
 * modelgen/layouts/llama2-onnx.ts): batch 1 per run, so the sequences a worker holds take turns, one run each
 * per decode step. Each sequence keeps its own window of caches [1, kv_heads, W, head_dim], right-aligned, W a
 * multiple of 512 that grows (the caches left-padded by another 512) before the sequence would fill it.
 */
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import type { DecoderRunner } from './decoder-runner.js';
import { float16ToFloat32 } from './float16.js';
import type { KvDtype } from './io-layout.js';
import { allocateKv, type Feeds, int64Tensor, type KvData } from './kv-cache.js';

/** The window grows in steps of this many positions, as the release's examples pad it. */
const WINDOW_STEP = 512;

export interface Llama2OnnxLayout {
  numLayers: number;
  kvHeads: number;
  headDim: number;
  kvDtype: KvDtype;
  /** cache.{i}.key|value inputs, then the outputs that return them (after logits and attn_mask_out). */
  cacheInputs: string[];
  cacheOutputs: string[];
  logits: string;
}

const CACHE_INPUT = /^cache\.(\d+)\.(key|value)$/;
const REQUIRED_INPUTS = [
  'tokens',
  'position_ids',
  'attn_mask',
  'tokens_increment',
  'position_ids_increment',
  'use_cache_branch',
];

/** Whether the session has the release's later interface. */
export function isLlama2OnnxSession(session: InferenceSession): boolean {
  return REQUIRED_INPUTS.every((name) => session.inputNames.includes(name));
}

export function detectLlama2OnnxLayout(session: InferenceSession): Llama2OnnxLayout {
  const cacheInputs: string[] = [];
  for (const name of session.inputNames) {
    const match = CACHE_INPUT.exec(name);
    if (match) cacheInputs[2 * Number(match[1]) + (match[2] === 'key' ? 0 : 1)] = name;
  }
  const numLayers = cacheInputs.length / 2;
  if (numLayers === 0 || cacheInputs.some((name) => name === undefined) || cacheInputs.length % 2 !== 0) {
    throw new Error(
      `the Llama-2-Onnx graph's cache.{i}.key|value inputs are incomplete: [${session.inputNames.join(', ')}]`,
    );
  }
  // Outputs by position, as the release's examples read them: logits, attn_mask_out, then key, value per layer.
  const [logits, , ...cacheOutputs] = session.outputNames;
  if (logits === undefined || cacheOutputs.length !== cacheInputs.length) {
    throw new Error(
      `the Llama-2-Onnx graph should return logits, attn_mask_out and ${cacheInputs.length} caches: [${session.outputNames.join(', ')}]`,
    );
  }
  const meta = session.inputMetadata.find((m) => m.name === cacheInputs[0]);
  const shape = meta?.isTensor ? meta.shape : [];
  const kvHeads = shape[1];
  const headDim = shape[3];
  const kvDtype = meta?.isTensor ? meta.type : 'float32';
  if (typeof kvHeads !== 'number' || typeof headDim !== 'number') {
    throw new Error(`${cacheInputs[0]} should have fixed heads and head size, has [${shape.join(', ')}]`);
  }
  if (kvDtype !== 'float32' && kvDtype !== 'float16') throw new Error(`unsupported cache type ${kvDtype}`);
  return { numLayers, kvHeads, headDim, kvDtype, cacheInputs, cacheOutputs, logits };
}

/** One sequence: its caches (keys and values per layer, in input order), positions cached and window width. */
interface Window {
  caches: Tensor[];
  length: number;
  width: number;
}

export class Llama2OnnxRunner implements DecoderRunner {
  private readonly windows = new Map<string, Window>();
  private readonly joined = new Set<string>();
  private readonly fetches: string[];

  constructor(
    private readonly session: InferenceSession,
    private readonly layout: Llama2OnnxLayout,
  ) {
    this.fetches = [layout.logits, ...layout.cacheOutputs];
  }

  async prefill(id: string, tokenIds: readonly number[]): Promise<Float32Array> {
    return (await this.prefillBatch([id], [tokenIds]))[0]!;
  }

  /** One run per sequence (the graph takes batch 1). */
  async prefillBatch(
    ids: readonly string[],
    chunks: readonly (readonly number[])[],
  ): Promise<Float32Array[]> {
    const logits: Float32Array[] = [];
    for (const [i, id] of ids.entries()) logits.push(await this.step(id, chunks[i]!));
    return logits;
  }

  join(id: string): void {
    if (!this.windows.has(id)) throw new Error(`sequence ${id} is not prefilled`);
    this.joined.add(id);
  }

  release(ids: readonly string[]): void {
    for (const id of ids) {
      this.windows.delete(id);
      this.joined.delete(id);
    }
  }

  /** The joined sequences take turns: one run each, in the order given. */
  async decode(ids: readonly string[], tokenIds: readonly number[]): Promise<Float32Array[]> {
    if (ids.length !== this.joined.size || ids.some((id) => !this.joined.has(id))) {
      throw new Error(
        `decode was given sequences [${ids.join(', ')}], the batch holds [${[...this.joined].join(', ')}]`,
      );
    }
    const logits: Float32Array[] = [];
    for (const [i, id] of ids.entries()) logits.push(await this.step(id, [tokenIds[i]!]));
    return logits;
  }

  close(): Promise<void> {
    return this.session.release();
  }

  /**
   * Feeds `tokens` to one sequence: its first run through `tokens` (use_cache_branch false), later ones through
   * `tokens_increment`. The window first grows so that it stays wider than the sequence.
   */
  private async step(id: string, tokens: readonly number[]): Promise<Float32Array> {
    const previous = this.windows.get(id);
    const length = previous?.length ?? 0;
    const total = length + tokens.length;
    const window = this.widened(previous, WINDOW_STEP * (Math.floor(total / WINDOW_STEP) + 1));
    const mask = new Int32Array(window.width).fill(1, window.width - total);
    const positions = tokens.map((_, i) => length + i);
    const first = previous === undefined;
    const placeholder = int64Tensor([0], [1, 1]);
    const run = int64Tensor(tokens, [1, tokens.length]);
    const feeds: Feeds = {
      tokens: first ? run : placeholder,
      position_ids: first ? int64Tensor(positions, [1, tokens.length]) : placeholder,
      tokens_increment: first ? placeholder : run,
      position_ids_increment: first ? placeholder : int64Tensor(positions, [1, tokens.length]),
      use_cache_branch: new Tensor('bool', [!first], [1]),
      attn_mask: new Tensor('int32', mask, [1, window.width]),
    };
    this.layout.cacheInputs.forEach((name, c) => {
      feeds[name] = window.caches[c]!;
    });
    const outputs = await this.session.run(feeds, this.fetches);
    this.windows.set(id, {
      caches: this.layout.cacheOutputs.map((name) => outputs[name] as Tensor),
      length: total,
      width: window.width,
    });
    // [1, vocab]: the last position's logits, a fresh buffer of ours.
    const data = (outputs[this.layout.logits] as Tensor).data;
    if (data instanceof Float32Array) return data;
    if (data instanceof Uint16Array) return float16ToFloat32(data);
    throw new Error('logits must be float32 or float16');
  }

  /** The sequence's caches in a window `width` wide: zeros first, its positions right-aligned. */
  private widened(window: Window | undefined, width: number): Window {
    if (window !== undefined && window.width >= width) return window;
    const { kvHeads, headDim, kvDtype, cacheInputs } = this.layout;
    const caches = cacheInputs.map((_, c) => {
      const data = allocateKv(kvDtype, kvHeads * width * headDim);
      if (window !== undefined) {
        const old = window.caches[c]!.data as KvData;
        const span = window.width * headDim;
        for (let head = 0; head < kvHeads; head++) {
          data.set(
            old.subarray(head * span, (head + 1) * span),
            (head * width + width - window.width) * headDim,
          );
        }
      }
      return new Tensor(kvDtype, data, [1, kvHeads, width, headDim]);
    });
    return { caches, length: window?.length ?? 0, width };
  }
}
