import { Tensor } from 'onnxruntime-node';
import type { IoLayout } from './io-layout.js';
import {
  allocateKv,
  checkedKvOutputs,
  type Feeds,
  int64Tensor,
  type KvCache,
  type KvData,
  type Outputs,
} from './kv-cache.js';
import { chunkPositions, leftPads } from './prefill-rows.js';

/** One or more sequences' cache: per layer key then value tensors [rows, kvHeads, width, headDim]. */
export interface Block {
  /** Keys of layers 0..n-1, then values of layers 0..n-1. */
  tensors: Tensor[];
  /** The past dimension; a row's positions sit right-aligned in it (left padding). */
  width: number;
}

/** Where one sequence's cache is: row `row` of `block`, its positions right-aligned in it. */
export interface RowSource {
  block: Block;
  row: number;
}

/** A sequence outside the batch: its row of a prefill run's block. */
interface Prefilled extends RowSource {
  length: number;
}

/**
 * The Optimum layout on the host: past [B, kvHeads, P, headDim], rows left-padded to the longest sequence and
 * masked. A decode step's `present` is the next step's `past` as is; rows are copied only when a sequence
 * joins or leaves the batch. Prompts prefilled together share that run's block until they join.
 * DeviceKvCache keeps the same layout on a GPU: it overrides where rows are re-laid out.
 */
export class HostKvCache implements KvCache {
  protected readonly layout: IoLayout;
  /** Sequences outside the batch: alone in a block as wide as their length, or rows of a batched prefill. */
  protected readonly prefilling = new Map<string, Prefilled>();
  /** The block decode steps run on: row i is the cache of `ids[i]` once `sources` point at it (see relayout). */
  protected batch: Block;
  /** Where each running sequence's cache is, in row order: rows of `batch`, or of a prefill block when joined. */
  protected sources: RowSource[] = [];
  protected ids: string[] = [];
  protected lengths: number[] = [];

  constructor(layout: IoLayout) {
    this.layout = layout;
    this.batch = this.emptyBlock(0, 0);
  }

  /** Nothing is reserved: blocks are allocated as sequences grow. */
  readonly reservedBytes = 0;

  get rows(): readonly string[] {
    return this.ids;
  }

  prefillFeeds(ids: readonly string[], counts: readonly number[]): Feeds {
    const lengths = ids.map((id) => this.prefilling.get(id)?.length ?? 0);
    if (ids.length > 1 && lengths.some((length) => length > 0)) {
      throw new Error('only first chunks are prefilled several at once');
    }
    // A later chunk continues its sequence's own one-row block; first chunks start from an empty past.
    const block = lengths[0]! > 0 ? this.prefilling.get(ids[0]!)!.block : this.emptyBlock(ids.length, 0);
    const { width, pads } = leftPads(counts);
    const columns = block.width + width;
    const mask = new BigInt64Array(ids.length * columns);
    lengths.forEach((length, row) => {
      mask
        .fill(1n, row * columns + block.width - length, row * columns + block.width)
        .fill(1n, row * columns + block.width + pads[row]!, (row + 1) * columns);
    });
    return this.feeds(
      block,
      new Tensor('int64', mask, [ids.length, columns]),
      chunkPositions(lengths, counts),
    );
  }

  afterPrefill(ids: readonly string[], counts: readonly number[], outputs: Outputs): void {
    const lengths = ids.map((id) => this.prefilling.get(id)?.length ?? 0);
    const width = (this.prefilling.get(ids[0]!)?.block.width ?? 0) + leftPads(counts).width;
    const block = { tensors: checkedKvOutputs(outputs, this.layout, ids.length, width), width };
    // Each row's real positions are its last ones: its past (right-aligned) and then its chunk after the pads.
    ids.forEach((id, row) => {
      this.prefilling.set(id, { block, row, length: lengths[row]! + counts[row]! });
    });
  }

  join(id: string): void {
    const prefilled = this.prefilling.get(id);
    if (!prefilled) throw new Error(`sequence ${id} is not prefilled`);
    this.prefilling.delete(id);
    this.sources.push({ block: prefilled.block, row: prefilled.row });
    this.lengths.push(prefilled.length);
    this.ids.push(id);
    this.relayout();
  }

  release(ids: readonly string[]): void {
    for (const id of ids) this.prefilling.delete(id);
    const kept = this.ids.map((id, row) => ({ id, row })).filter(({ id }) => !ids.includes(id));
    if (kept.length === this.ids.length) return;
    this.sources = kept.map(({ row }) => this.sources[row]!);
    this.lengths = kept.map(({ row }) => this.lengths[row]!);
    this.ids = kept.map(({ id }) => id);
    this.relayout();
  }

  decodeFeeds(): Feeds {
    const columns = this.batch.width + 1;
    // Each row attends to its own positions (right-aligned) and the new token; the padding before is masked.
    const mask = new BigInt64Array(this.ids.length * columns);
    this.lengths.forEach((length, row) => {
      mask.fill(1n, (row + 1) * columns - length - 1, (row + 1) * columns);
    });
    return this.feeds(
      this.batch,
      new Tensor('int64', mask, [this.ids.length, columns]),
      this.lengths.map((length) => [length]),
    );
  }

  afterDecode(outputs: Outputs): void {
    const width = this.batch.width + 1;
    this.batch = { tensors: checkedKvOutputs(outputs, this.layout, this.ids.length, width), width };
    this.sources = this.ids.map((_, row) => ({ block: this.batch, row }));
    this.lengths = this.lengths.map((length) => length + 1);
  }

  protected emptyBlock(rows: number, width: number): Block {
    const { kvHeads, headDim, kvDtype, numLayers } = this.layout;
    const dims = [rows, kvHeads, width, headDim];
    const tensors = Array.from(
      { length: 2 * numLayers },
      () => new Tensor(kvDtype, allocateKv(kvDtype, rows * kvHeads * width * headDim), dims),
    );
    return { tensors, width };
  }

  private feeds(block: Block, attentionMask: Tensor, positions: number[][]): Feeds {
    const { layout } = this;
    const feeds: Feeds = { [layout.attentionMask]: attentionMask };
    if (layout.positionIds)
      feeds[layout.positionIds] = int64Tensor(positions.flat(), [positions.length, positions[0]!.length]);
    for (let layer = 0; layer < layout.numLayers; layer++) {
      feeds[layout.pastKeys[layer]!] = block.tensors[layer]!;
      feeds[layout.pastValues[layer]!] = block.tensors[layout.numLayers + layer]!;
    }
    return feeds;
  }

  /**
   * Makes `batch` hold the rows `sources` point at, as wide as the longest sequence: here by copying them
   * (right-aligned, `length` positions each) into a fresh block at once.
   */
  protected relayout(): void {
    const { kvHeads, headDim } = this.layout;
    const width = Math.max(0, ...this.lengths);
    const next = this.emptyBlock(this.ids.length, width);
    next.tensors.forEach((tensor, t) => {
      const target = tensor.data as KvData;
      this.sources.forEach(({ block, row }, newRow) => {
        const source = block.tensors[t]!.data as KvData;
        const span = this.lengths[newRow]! * headDim;
        for (let head = 0; head < kvHeads; head++) {
          const from = ((row * kvHeads + head) * block.width + block.width) * headDim - span;
          const to = ((newRow * kvHeads + head) * width + width) * headDim - span;
          target.set(source.subarray(from, from + span), to);
        }
      });
    });
    this.batch = next;
    this.sources = this.ids.map((_, row) => ({ block: next, row }));
  }
}
