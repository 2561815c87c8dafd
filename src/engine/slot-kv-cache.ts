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

/**
 * Row capacity (positions) moves in steps of this many: a re-layout of the cache happens at most once per
 * CAP_STEP generated tokens, while attention (whose cost follows the capacity) sees little unused room.
 */
const CAP_STEP = 32;

const roundUp = (n: number) => Math.ceil(n / CAP_STEP) * CAP_STEP;

/** Positions a row is allocated for, to hold sequences of `contextTokens`. */
export const kvRowCapacity = (contextTokens: number) => roundUp(contextTokens);

/**
 * target[to..] = source[from..from+length]: a plain loop for the short spans of a decode step, where a
 * subarray per call would cost more than the copy.
 */
function copySpan(target: KvData, to: number, source: KvData, from: number, length: number): void {
  if (length > 256) target.set(source.subarray(from, from + length), to);
  else for (let i = 0; i < length; i++) target[to + i] = source[from + i]!;
}

/** Where one output row of a run goes: its real positions skip..skip+count into slot `row` from position `at`. */
interface RowWrite {
  row: number;
  at: number;
  skip: number;
  count: number;
}

export interface SlotKvCacheOptions {
  /**
   * Positions of past a first chunk is given, all masked: 0 (nothing to attend to), or 1 on WebGPU, whose
   * MatMul crashes the process on an empty inner dimension (probabilities [.., S, 0] × an empty past's values).
   */
  firstChunkPast?: 0 | 1;
}

/**
 * The cache for graphs that return only the new positions' K/V (new_key_values): one buffer per layer for
 * keys and one for values, allocated once per worker for every row at the full context ([rows, kvHeads, cap,
 * headDim] with `cap` the current row capacity; pages are committed only as rows fill). Running sequences
 * occupy rows 0..B-1, right-padded (a sequence's tokens at positions 0..len-1), and a decode step passes the
 * first B rows as past in place; sequences still prefilling take the rows after them, and a later prefill
 * chunk passes its own row (first chunks, alone or several left-padded together, have an empty past). A run's
 * new K/V (its real positions, not the pads) is copied into its rows at their lengths: O(new) per step. A
 * leaving sequence's row is filled by moving the last row into it. `cap` follows the longest sequence (rounded
 * up to CAP_STEP); changing it re-lays the rows out inside the same buffers.
 *
 * One layer's key buffer (values alike), B = 3 running, 1 prefilling, maxRows = 5, cap = 32:
 *
 *   row  slot   head 0: positions 0..cap-1     head 1            ...  head kvHeads-1
 *   0    a      [a0 a1 ... a(len-1) . . . . ]  [a0 a1 ... . . ]  ...  ← running: rows 0..B-1, a decode
 *   1    c      [c0 c1 c2 ... . . . . . . . ]  [...]                     step's past is these rows in place,
 *   2    b      [b0 ... . . . . . . . . . . ]  [...]                     [B, kvHeads, cap, headDim]
 *   3    d      [d0 ... d(len-1) . . . . . .]  [...]             ← prefilling: its next chunk's past is
 *   4    (free)                                                     this one row, [1, kvHeads, cap, headDim]
 *
 * Rows are `slots` (ids) and `lengths` (positions filled); `.` is room not yet written. Row order is not join
 * order: here a, x, b and c joined in that order, then x left and c, the last running row, moved into x's row.
 */
export class SlotKvCache implements KvCache {
  private readonly layout: IoLayout;
  /** Keys of layers 0..n-1, then values of layers 0..n-1. */
  private readonly buffers: KvData[];
  private readonly maxRows: number;
  private readonly maxCap: number;
  private cap = CAP_STEP;
  /** The sequence in each occupied row: running ones first (rows 0..running-1), then those prefilling. */
  private slots: string[] = [];
  /** Positions cached in each occupied row; moves with its sequence. */
  private lengths: number[] = [];
  private running = 0;
  /** The past a first chunk is given (see SlotKvCacheOptions). */
  private readonly firstChunkPast: number;

  /** `maxRows`: running plus prefilling sequences at once; `contextTokens`: the longest a sequence gets. */
  constructor(layout: IoLayout, maxRows: number, contextTokens: number, options: SlotKvCacheOptions = {}) {
    this.layout = layout;
    this.firstChunkPast = options.firstChunkPast ?? 0;
    this.maxRows = maxRows;
    this.maxCap = kvRowCapacity(contextTokens);
    const size = maxRows * layout.kvHeads * this.maxCap * layout.headDim;
    this.buffers = Array.from({ length: 2 * layout.numLayers }, () => allocateKv(layout.kvDtype, size));
  }

  get reservedBytes(): number {
    return this.buffers.reduce((sum, buffer) => sum + buffer.byteLength, 0);
  }

  get rows(): readonly string[] {
    return this.slots.slice(0, this.running);
  }

  prefillFeeds(ids: readonly string[], counts: readonly number[]): Feeds {
    const fresh = ids.filter((id) => !this.slots.includes(id)).length;
    if (this.slots.length + fresh > this.maxRows) {
      throw new Error(`the KV cache has room for ${this.maxRows} sequences`);
    }
    // A sequence without a row yet has nothing cached: its row is taken in afterPrefill.
    const lengths = ids.map((id) => {
      const row = this.slots.indexOf(id);
      return row === -1 ? 0 : this.lengths[row]!;
    });
    if (ids.length > 1 && lengths.some((length) => length > 0)) {
      throw new Error('only first chunks are prefilled several at once');
    }
    // A first chunk attends to nothing before it: an empty past costs nothing (or one masked position).
    const past = lengths[0] === 0 ? this.firstChunkPast : this.cap;
    const { width, pads } = leftPads(counts);
    const columns = past + width;
    const mask = new BigInt64Array(ids.length * columns);
    lengths.forEach((length, row) => {
      mask
        .fill(1n, row * columns, row * columns + length)
        .fill(1n, row * columns + past + pads[row]!, (row + 1) * columns);
    });
    const attentionMask = new Tensor('int64', mask, [ids.length, columns]);
    // Only a later chunk (one sequence) reads a past: its own row. A first chunk's masked past is rows 0..n-1.
    const firstRow = lengths[0] === 0 ? 0 : this.rowOf(ids[0]!);
    return this.feeds(firstRow, ids.length, past, attentionMask, chunkPositions(lengths, counts));
  }

  afterPrefill(ids: readonly string[], counts: readonly number[], outputs: Outputs): void {
    for (const id of ids) {
      if (this.slots.includes(id)) continue;
      this.slots.push(id);
      this.lengths.push(0);
    }
    const { width, pads } = leftPads(counts);
    const writes = ids.map((id, i) => {
      const row = this.rowOf(id);
      return { row, at: this.lengths[row]!, skip: pads[i]!, count: counts[i]! };
    });
    this.reserve(Math.max(...writes.map(({ at, count }) => at + count)));
    this.write(outputs, width, writes);
    for (const { row, at, count } of writes) this.lengths[row] = at + count;
  }

  join(id: string): void {
    const row = this.rowOf(id);
    if (row < this.running) throw new Error(`sequence ${id} is already running`);
    this.swapRows(row, this.running);
    this.running++;
  }

  release(ids: readonly string[]): void {
    for (const id of ids) {
      let hole = this.slots.indexOf(id);
      if (hole === -1) continue;
      if (hole < this.running) {
        // The last running row fills the hole; the row it leaves is filled as a prefilling row would be.
        this.moveRow(this.running - 1, hole);
        hole = --this.running;
      }
      this.moveRow(this.slots.length - 1, hole);
      this.slots.pop();
      this.lengths.pop();
    }
    this.shrink();
  }

  decodeFeeds(): Feeds {
    const rows = this.running;
    const columns = this.cap + 1;
    // Each row attends to its own positions (left-aligned) and the new token in the last column.
    const mask = new BigInt64Array(rows * columns);
    const lengths = this.lengths.slice(0, rows);
    lengths.forEach((length, row) => {
      mask.fill(1n, row * columns, row * columns + length);
      mask[row * columns + this.cap] = 1n;
    });
    const attentionMask = new Tensor('int64', mask, [rows, columns]);
    return this.feeds(
      0,
      rows,
      this.cap,
      attentionMask,
      lengths.map((length) => [length]),
    );
  }

  afterDecode(outputs: Outputs): void {
    const lengths = this.lengths.slice(0, this.running);
    this.reserve(Math.max(...lengths) + 1);
    this.write(
      outputs,
      1,
      lengths.map((at, row) => ({ row, at, skip: 0, count: 1 })),
    );
    for (let row = 0; row < this.running; row++) this.lengths[row]!++;
  }

  private rowOf(id: string): number {
    const row = this.slots.indexOf(id);
    if (row === -1) throw new Error(`sequence ${id} is not in the KV cache`);
    return row;
  }

  /** Elements of `positions` positions of one (row, head): a block's size at capacity `positions`. */
  private blockSize(positions: number): number {
    return positions * this.layout.headDim;
  }

  private feeds(firstRow: number, rows: number, past: number, attentionMask: Tensor, positions: number[][]) {
    const { layout } = this;
    const feeds: Feeds = { [layout.attentionMask]: attentionMask };
    if (layout.positionIds) {
      feeds[layout.positionIds] = int64Tensor(positions.flat(), [rows, positions[0]!.length]);
    }
    const rowSize = layout.kvHeads * this.blockSize(past);
    const dims = [rows, layout.kvHeads, past, layout.headDim];
    const view = (buffer: KvData) =>
      new Tensor(layout.kvDtype, buffer.subarray(firstRow * rowSize, (firstRow + rows) * rowSize), dims);
    for (let layer = 0; layer < layout.numLayers; layer++) {
      feeds[layout.pastKeys[layer]!] = view(this.buffers[layer]!);
      feeds[layout.pastValues[layer]!] = view(this.buffers[layout.numLayers + layer]!);
    }
    return feeds;
  }

  /**
   * Copies a run's new K/V ([writes.length, kvHeads, width, headDim]): output row i's positions skip..skip+count
   * (its real tokens, after any pads) go to slot row `row` at position `at`.
   */
  private write(outputs: Outputs, width: number, writes: readonly RowWrite[]): void {
    const { layout } = this;
    checkedKvOutputs(outputs, layout, writes.length, width).forEach((tensor, b) => {
      const source = tensor.data as KvData;
      const target = this.buffers[b]!;
      writes.forEach(({ row, at, skip, count }, i) => {
        for (let head = 0; head < layout.kvHeads; head++) {
          const from = ((i * layout.kvHeads + head) * width + skip) * layout.headDim;
          const to = ((row * layout.kvHeads + head) * this.cap + at) * layout.headDim;
          copySpan(target, to, source, from, count * layout.headDim);
        }
      });
    });
  }

  /** Makes room for `positions` in every row. */
  private reserve(positions: number): void {
    if (positions <= this.cap) return;
    if (positions > this.maxCap) {
      throw new Error(`the KV cache holds ${this.maxCap} positions per sequence, ${positions} asked`);
    }
    this.relayout(roundUp(positions));
  }

  /** Gives back capacity once the longest sequence is well under it (one step of hysteresis). */
  private shrink(): void {
    const longest = Math.max(0, ...this.lengths);
    const wanted = Math.max(CAP_STEP, roundUp(longest + 1));
    if (wanted + CAP_STEP <= this.cap) this.relayout(wanted);
  }

  /** Re-lays every occupied row out at a new capacity, in place: growing moves blocks up (last first). */
  private relayout(cap: number): void {
    const { kvHeads } = this.layout;
    const blocks = this.lengths.flatMap((length, row) =>
      Array.from({ length: kvHeads }, (_, head) => ({ index: row * kvHeads + head, length })),
    );
    if (cap > this.cap) blocks.reverse();
    for (const buffer of this.buffers) {
      for (const { index, length } of blocks) {
        const from = index * this.blockSize(this.cap);
        buffer.copyWithin(index * this.blockSize(cap), from, from + this.blockSize(length));
      }
    }
    this.cap = cap;
  }

  /** Copies row `from` (its valid positions) over row `to`, and its occupant with it. */
  private moveRow(from: number, to: number): void {
    if (from === to) return;
    const { kvHeads } = this.layout;
    const span = this.blockSize(this.lengths[from]!);
    for (const buffer of this.buffers) {
      for (let head = 0; head < kvHeads; head++) {
        const source = (from * kvHeads + head) * this.blockSize(this.cap);
        buffer.copyWithin((to * kvHeads + head) * this.blockSize(this.cap), source, source + span);
      }
    }
    this.slots[to] = this.slots[from]!;
    this.lengths[to] = this.lengths[from]!;
  }

  /**
   * When the joining sequence is not the first prefilling row: one of its prefill run ended with its first token
   * and its release moved the last row into its place.
   */
  private swapRows(a: number, b: number): void {
    if (a === b) return;
    const rowSize = this.layout.kvHeads * this.blockSize(this.cap);
    for (const buffer of this.buffers) {
      const saved = buffer.slice(a * rowSize, (a + 1) * rowSize);
      buffer.copyWithin(a * rowSize, b * rowSize, (b + 1) * rowSize);
      buffer.set(saved, b * rowSize);
    }
    [this.slots[a], this.slots[b]] = [this.slots[b]!, this.slots[a]!];
    [this.lengths[a], this.lengths[b]] = [this.lengths[b]!, this.lengths[a]!];
  }
}
