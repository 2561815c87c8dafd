/**
 * Greedy decoding loops that drive each export layout through raw ONNX Runtime the way its own runtime does
 * (Optimum's merged decoder, onnxruntime-genai's GQA graph, the Llama-2-Onnx release's example), to check the
 * writers independently of the engine.
 */
import * as ort from 'onnxruntime-node';
import { argmax } from '../../src/engine/sampler.js';
import { LLAMA2_ONNX_PADDING } from '../../src/modelgen/layouts/llama2-onnx.js';
import { headDim, type LlamaConfig } from '../../src/modelgen/llama-config.js';

const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
const emptyPast = (config: LlamaConfig, batch: number) =>
  new ort.Tensor('float32', new Float32Array(0), [batch, config.numKvHeads, 0, headDim(config)]);

/** Optimum merged: use_cache_branch false with an empty past, then true with the presents fed back. */
export async function mergedGreedy(
  session: ort.InferenceSession,
  config: LlamaConfig,
  promptIds: number[],
  maxNewTokens: number,
): Promise<number[]> {
  const generated: number[] = [];
  let ids = promptIds;
  let cached = 0;
  let outputs: ort.InferenceSession.OnnxValueMapType = {};
  for (let n = 0; n < maxNewTokens; n++) {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(ids, [1, ids.length]),
      attention_mask: int64(Array(cached + ids.length).fill(1), [1, cached + ids.length]),
      use_cache_branch: new ort.Tensor('bool', [n > 0], [1]),
    };
    if (session.inputNames.includes('position_ids')) {
      feeds.position_ids = int64(
        ids.map((_, i) => cached + i),
        [1, ids.length],
      );
    }
    for (let layer = 0; layer < config.numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] =
          (outputs[`present.${layer}.${kind}`] as ort.Tensor | undefined) ?? emptyPast(config, 1);
      }
    }
    outputs = await session.run(feeds);
    const logits = outputs.logits!.data as Float32Array;
    const next = argmax(logits.subarray(logits.length - config.vocabSize));
    generated.push(next);
    cached += ids.length;
    ids = [next];
  }
  return generated;
}

/**
 * onnxruntime-genai's GQA graph, several prompts at once: rows right-padded (GQA reads each row's length from
 * the mask's row sum), the past growing with each run (present fed back), each row's next token from its last
 * real position.
 */
export async function genaiGreedyBatch(
  session: ort.InferenceSession,
  config: LlamaConfig,
  prompts: number[][],
  maxNewTokens: number,
): Promise<number[][]> {
  const rows = prompts.length;
  const lengths = prompts.map((p) => p.length);
  const width = Math.max(...lengths);
  let ids = prompts.map((p) => [...p, ...Array(width - p.length).fill(0)]);
  let mask = prompts.map((p) => Array.from({ length: width }, (_, i) => (i < p.length ? 1 : 0)));
  let positions = prompts.map(() => Array.from({ length: width }, (_, i) => i));
  let outputs: ort.InferenceSession.OnnxValueMapType = {};
  const generated = prompts.map((): number[] => []);
  for (let n = 0; n < maxNewTokens; n++) {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(ids.flat(), [rows, ids[0]!.length]),
      attention_mask: int64(mask.flat(), [rows, mask[0]!.length]),
    };
    if (session.inputNames.includes('position_ids')) {
      feeds.position_ids = int64(positions.flat(), [rows, positions[0]!.length]);
    }
    for (let layer = 0; layer < config.numLayers; layer++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${layer}.${kind}`] =
          (outputs[`present.${layer}.${kind}`] as ort.Tensor | undefined) ?? emptyPast(config, rows);
      }
    }
    outputs = await session.run(feeds);
    const logits = outputs.logits!;
    const data = logits.data as Float32Array;
    const runLength = logits.dims[1]!;
    const cacheWidth = (outputs['present.0.key'] as ort.Tensor).dims[2]!;
    const cached = lengths.map((length) => length + n);
    ids = prompts.map((_, row) => {
      const at = row * runLength + (n === 0 ? lengths[row]! - 1 : 0);
      const next = argmax(data.subarray(at * config.vocabSize, (at + 1) * config.vocabSize));
      generated[row]!.push(next);
      return [next];
    });
    positions = cached.map((c) => [c]);
    mask = cached.map((c) => Array.from({ length: cacheWidth + 1 }, (_, i) => (i <= c ? 1 : 0)));
  }
  return generated;
}

/**
 * The Llama-2-Onnx release's later interface, as its example drives it (with the fed token's position
 * 0-based): a window of caches and mask left-padded by another `padding` positions whenever the sequence
 * would fill it.
 */
export async function llama2OnnxGreedy(
  session: ort.InferenceSession,
  config: LlamaConfig,
  promptIds: number[],
  maxNewTokens: number,
  padding = LLAMA2_ONNX_PADDING,
): Promise<number[]> {
  const kvHeads = config.numKvHeads;
  const hd = headDim(config);
  const [logitsName, maskName, ...cacheNames] = session.outputNames;
  const generated: number[] = [];
  let total = promptIds.length;
  let window = 0;
  let mask: ort.Tensor | undefined;
  let caches: ort.Tensor[] = [];
  for (let n = 0; n < maxNewTokens; n++) {
    if (n === 0 || total % padding === 0) {
      const wider = padding * (Math.floor(total / padding) + 1);
      const maskData = new Int32Array(wider).fill(1, wider - total);
      mask = new ort.Tensor('int32', maskData, [1, wider]);
      caches = Array.from({ length: 2 * config.numLayers }, (_, c) => {
        const data = new Float32Array(kvHeads * wider * hd);
        const old = caches[c]?.data as Float32Array | undefined;
        for (let head = 0; old && head < kvHeads; head++) {
          data.set(
            old.subarray(head * window * hd, (head + 1) * window * hd),
            (head * wider + wider - window) * hd,
          );
        }
        return new ort.Tensor('float32', data, [1, kvHeads, wider, hd]);
      });
      window = wider;
    }
    const feeds: Record<string, ort.Tensor> = {
      tokens: int64(promptIds, [1, promptIds.length]),
      position_ids: int64(
        promptIds.map((_, i) => i),
        [1, promptIds.length],
      ),
      attn_mask: mask!,
      tokens_increment: int64([generated.at(-1) ?? 0], [1, 1]),
      position_ids_increment: int64([total - 1], [1, 1]),
      use_cache_branch: new ort.Tensor('bool', [n > 0], [1]),
    };
    for (let layer = 0; layer < config.numLayers; layer++) {
      feeds[`cache.${layer}.key`] = caches[2 * layer]!;
      feeds[`cache.${layer}.value`] = caches[2 * layer + 1]!;
    }
    const outputs = await session.run(feeds);
    generated.push(argmax(outputs[logitsName!]!.data as Float32Array));
    mask = outputs[maskName!] as ort.Tensor;
    caches = cacheNames.map((name) => outputs[name] as ort.Tensor);
    total++;
  }
  return generated;
}
