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
interface Block {
  /** Keys of layers 0..n-1, then values of layers 0..n-1. */
  tensors: Tensor[];
  /** The past dimension; a row's positions sit right-aligned in it (left padding). */
  width: number;
}

/** A sequence outside the batch: its row of a prefill run's block, its positions right-aligned in it. */
interface Prefilled {
  block: Block;
  row: number;
  length: number;
}

/**
 * The Optimum layout on the host: past [B, kvHeads, P, headDim], rows left-padded to the longest sequence and
 * masked. A decode step's `present` is the next step's `past` as is; rows are copied only when a sequence
 * joins or leaves the batch. Prompts prefilled together share that run's block until they join.
 */
export class HostKvCache implements KvCache {
  private readonly layout: IoLayout;
  /** Sequences outside the batch: alone in a block as wide as their length, or rows of a batched prefill. */
  private readonly prefilling = new Map<string, Prefilled>();
  private batch: Block;
  private ids: string[] = [];
  private lengths: number[] = [];

  constructor(layout: IoLayout) {
    this.layout = layout;
    this.batch = this.emptyBlock(0, 0);
  }

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
    const sources = this.ids.map((_, row) => ({ block: this.batch, row }));
    this.rebuild([...sources, prefilled], [...this.lengths, prefilled.length], [...this.ids, id]);
  }

  release(ids: readonly string[]): void {
    for (const id of ids) this.prefilling.delete(id);
    const kept = this.ids.map((id, row) => ({ id, row })).filter(({ id }) => !ids.includes(id));
    if (kept.length === this.ids.length) return;
    this.rebuild(
      kept.map(({ row }) => ({ block: this.batch, row })),
      kept.map(({ row }) => this.lengths[row]!),
      kept.map(({ id }) => id),
    );
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
    this.lengths = this.lengths.map((length) => length + 1);
  }

  private emptyBlock(rows: number, width: number): Block {
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
    // A merged decoder's first run (nothing cached) takes the branch without past.
    if (layout.useCacheBranch) feeds[layout.useCacheBranch] = new Tensor('bool', [block.width > 0], [1]);
    for (let layer = 0; layer < layout.numLayers; layer++) {
      feeds[layout.pastKeys[layer]!] = block.tensors[layer]!;
      feeds[layout.pastValues[layer]!] = block.tensors[layout.numLayers + layer]!;
    }
    return feeds;
  }

  /** Copies rows (right-aligned, `length` positions each) into a fresh batch as wide as the longest. */
  private rebuild(sources: { block: Block; row: number }[], lengths: number[], ids: string[]): void {
    const { kvHeads, headDim } = this.layout;
    const width = Math.max(0, ...lengths);
    const next = this.emptyBlock(ids.length, width);
    next.tensors.forEach((tensor, t) => {
      const target = tensor.data as KvData;
      sources.forEach(({ block, row }, newRow) => {
        const source = block.tensors[t]!.data as KvData;
        const span = lengths[newRow]! * headDim;
        for (let head = 0; head < kvHeads; head++) {
          const from = ((row * kvHeads + head) * block.width + block.width) * headDim - span;
          const to = ((newRow * kvHeads + head) * width + width) * headDim - span;
          target.set(source.subarray(from, from + span), to);
        }
      });
    });
    this.batch = next;
    this.ids = ids;
    this.lengths = lengths;
  }
}
