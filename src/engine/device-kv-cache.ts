import { InferenceSession, type Tensor } from 'onnxruntime-node';
import { type Block, HostKvCache, type RowSource } from './host-kv-cache.js';
import type { IoLayout, KvDtype } from './io-layout.js';
import { int64Tensor, type Outputs } from './kv-cache.js';
import { KV_ROWS_MODEL_BASE64 } from './kv-rows-model.js';

/**
 * The session that re-lays KV rows out on the device (src/modelgen/kv-rows-graph.ts): its output stays a
 * gpu-buffer tensor, as the decoder's present outputs do.
 */
export function createKvRowsSession(dtype: KvDtype): Promise<InferenceSession> {
  return InferenceSession.create(Buffer.from(KV_ROWS_MODEL_BASE64[dtype], 'base64'), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
  });
}

/** The decoder outputs a device-resident cache keeps on the device: every layer's present key and value. */
export function presentOutputNames(numLayers: number): string[] {
  return Array.from({ length: numLayers }, (_, layer) => [
    `present.${layer}.key`,
    `present.${layer}.value`,
  ]).flat();
}

/**
 * The host cache's layout (Optimum `present` graphs, rows left-padded) kept on the WebGPU device: the session
 * returns each layer's present as a gpu-buffer tensor (preferredOutputLocation), which is the next step's past
 * as is, so a decode step moves no KV data between host and device. Rows are re-laid out (a sequence joins or
 * leaves) by a second, tiny session on the same device, before the next run that needs them (flush): a
 * gpu-buffer cannot be read back from Node. A block no sequence points at any more is disposed (its GPU
 * memory freed) at once.
 */
export class DeviceKvCache extends HostKvCache {
  private readonly rowsSession: InferenceSession;
  /** Blocks holding device memory: prefill runs' outputs and the batch. */
  private readonly live = new Set<Block>();

  constructor(layout: IoLayout, rowsSession: InferenceSession) {
    super(layout);
    this.rowsSession = rowsSession;
  }

  /** The batch's keys and values as the next decode step will read them (tests check where they live). */
  get batchTensors(): readonly Tensor[] {
    return this.batch.tensors;
  }

  override afterPrefill(ids: readonly string[], counts: readonly number[], outputs: Outputs): void {
    super.afterPrefill(ids, counts, outputs);
    this.live.add(this.prefilling.get(ids[0]!)!.block);
    this.disposeUnreferenced();
  }

  override release(ids: readonly string[]): void {
    super.release(ids);
    this.disposeUnreferenced();
  }

  override afterDecode(outputs: Outputs): void {
    super.afterDecode(outputs);
    this.live.add(this.batch);
    this.disposeUnreferenced();
  }

  /** Deferred to flush(): the device runs it, asynchronously, before the next decode step. */
  protected override relayout(): void {}

  /** Re-lays the batch out on the device if sequences joined or left since the last run. */
  async flush(): Promise<void> {
    if (this.sources.length === 0) {
      this.batch = this.emptyBlock(0, 0);
      this.disposeUnreferenced();
      return;
    }
    const settled =
      this.batch.tensors[0]!.dims[0] === this.sources.length &&
      this.sources.every(({ block, row }, i) => block === this.batch && row === i);
    if (settled) return;
    const width = Math.max(0, ...this.lengths);
    const groups = sourceGroups(this.sources);
    const tensors: Tensor[] = [];
    for (let t = 0; t < 2 * this.layout.numLayers; t++) tensors.push(await this.gatherRows(t, groups, width));
    this.batch = { tensors, width };
    this.sources = this.ids.map((_, row) => ({ block: this.batch, row }));
    this.live.add(this.batch);
    this.disposeUnreferenced();
  }

  async dispose(): Promise<void> {
    this.prefilling.clear();
    this.sources = [];
    this.disposeUnreferenced();
    await this.rowsSession.release();
  }

  /** Tensor `t` of the new batch: the groups' rows in order, one helper run per group. */
  private async gatherRows(t: number, groups: readonly SourceGroup[], width: number): Promise<Tensor> {
    const widthTensor = int64Tensor([width], [1]);
    let gathered: Tensor | undefined;
    for (const { block, rows } of groups) {
      const source = block.tensors[t]!;
      // First group: its rows of concat(source, source); then: all of the rows so far, and the group's after.
      const before = gathered?.dims[0] ?? 0;
      const picks =
        gathered === undefined
          ? rows
          : [...Array.from({ length: before }, (_, i) => i), ...rows.map((row) => before + row)];
      const outputs = await this.rowsSession.run({
        a: gathered ?? source,
        b: source,
        rows: int64Tensor(picks, [picks.length]),
        width: widthTensor,
      });
      gathered?.dispose();
      gathered = outputs.y as Tensor;
    }
    return gathered!;
  }

  private disposeUnreferenced(): void {
    const referenced = new Set<Block>([
      ...this.sources.map(({ block }) => block),
      ...[...this.prefilling.values()].map(({ block }) => block),
    ]);
    for (const block of this.live) {
      if (referenced.has(block)) continue;
      for (const tensor of block.tensors) tensor.dispose();
      this.live.delete(block);
    }
  }
}

/** Consecutive rows from one block. */
interface SourceGroup {
  block: Block;
  rows: number[];
}

function sourceGroups(sources: readonly RowSource[]): SourceGroup[] {
  const groups: SourceGroup[] = [];
  for (const { block, row } of sources) {
    const last = groups.at(-1);
    if (last?.block === block) last.rows.push(row);
    else groups.push({ block, rows: [row] });
  }
  return groups;
}
