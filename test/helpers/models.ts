/**
 * Model directories for tests, built once and cached under <repo>/.cache/test-models. Each is written to
 * a temporary folder and renamed into place, so concurrent test processes never see half a model; the
 * cache key includes a hash of the compiled model generator, so a changed graph builder rebuilds.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { float16ToFloat32 } from '../../src/engine/float16.js';
import { argmax } from '../../src/engine/sampler.js';
import { convertLlama2c } from '../../src/modelgen/convert-llama2c.js';
import { type CreateRandomOptions, createRandomModel } from '../../src/modelgen/create-random-model.js';
import { headDim, type LlamaConfig } from '../../src/modelgen/llama-config.js';
import type { LlamaGraphOptions } from '../../src/modelgen/llama-graph.js';
import { fixture, REPO_ROOT } from './paths.js';

export const TEST_MODELS_DIR = join(REPO_ROOT, '.cache', 'test-models');
/** What writes a model directory: the graph builder and the tokenizer-file writer. */
const GENERATOR_DIST = ['modelgen', 'tokenizer'].map((dir) => join(REPO_ROOT, 'dist', 'src', dir));

/** Hash of the compiled generator: cached models are only reused when it has not changed. */
function generatorHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) hash.update(entry.name).update(readFileSync(path));
    }
  };
  for (const dir of GENERATOR_DIST) if (existsSync(dir)) walk(dir);
  return hash.digest('hex').slice(0, 12);
}

/** The cached directory for `key`, built by `build(tmpDir)` when absent. */
async function cachedModel(
  name: string,
  key: unknown,
  build: (dir: string) => Promise<unknown>,
): Promise<string> {
  const digest = createHash('sha256')
    .update(JSON.stringify(key))
    .update(generatorHash())
    .digest('hex')
    .slice(0, 12);
  const dir = join(TEST_MODELS_DIR, `${name}-${digest}`);
  if (existsSync(dir)) return dir;
  await mkdir(TEST_MODELS_DIR, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await build(tmp);
    await rename(tmp, dir);
  } catch (err) {
    // Another process may have renamed its copy into place first: theirs is as good as ours.
    if (!existsSync(dir)) throw err;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** aidreams260K (the llama2.c fixture) converted to a model directory. */
export function convertedAidreams(graph: LlamaGraphOptions = {}): Promise<string> {
  return cachedModel('aidreams260K', graph, (outDir) =>
    convertLlama2c({
      checkpoint: fixture('aidreams260K', 'model.bin'),
      tokenizer: fixture('aidreams260K', 'tokenizer.bin'),
      outDir,
      graph,
    }),
  );
}

export type TinyModelOptions = Partial<Omit<CreateRandomOptions, 'outDir'>>;

/** A random-weight model (default: the `tiny` preset, real Llama-2 tokenizer, seed 1234). */
export function tinyRandomModel(options: TinyModelOptions = {}): Promise<string> {
  const full = { preset: 'tiny', ...options } as const;
  return cachedModel(`${full.preset}-random`, full, (outDir) => createRandomModel({ ...full, outDir }));
}

/**
 * A random model heavy enough (hidden 256, 4 layers, 2048 positions) that a 900-token generation takes
 * over a second even on a fast CPU (≈ 1.5 ms a decode step on the 2-core CI machine, against ≈ 0.25 ms for
 * `tiny`): for tests that act while a generation runs — timeouts, disconnects, drains, full admission.
 */
export function slowRandomModel(): Promise<string> {
  return tinyRandomModel({
    overrides: { hiddenSize: 256, intermediateSize: 688, numLayers: 4, maxPositions: 2048 },
  });
}

/** One run of a Llama graph: token rows (already padded) with their masks and positions. */
export interface LlamaStep {
  ids: number[][];
  /** [B, past + S]: 1 for real tokens, 0 for padding. */
  mask: number[][];
  positions: number[][];
  /** present.* of the previous step, fed as past_key_values.*; absent: an empty past. */
  past?: Record<string, ort.Tensor>;
}

export interface LlamaStepResult {
  /** Logits as float32, [B, S', vocab] row-major. */
  logits: Float32Array;
  logitsDims: readonly number[];
  /** present.{i}.key|value, renamed past_key_values.{i}.key|value ready for the next step. */
  past: Record<string, ort.Tensor>;
}

/** Rows of token ids (or masks, positions) as an int64 tensor [rows, columns]. */
export const int64 = (rows: number[][]) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, rows[0]!.length],
  );

/** Runs one step of a graph written by buildLlamaGraph (float32 or float16). */
export async function runLlamaStep(
  session: ort.InferenceSession,
  config: LlamaConfig,
  step: LlamaStep,
  dtype: 'float32' | 'float16' = 'float32',
): Promise<LlamaStepResult> {
  const batch = step.ids.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(step.ids),
    attention_mask: int64(step.mask),
    position_ids: int64(step.positions),
  };
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const kind of ['key', 'value']) {
      const name = `past_key_values.${layer}.${kind}`;
      const empty =
        dtype === 'float16'
          ? new ort.Tensor('float16', new Uint16Array(0), [batch, config.numKvHeads, 0, headDim(config)])
          : new ort.Tensor('float32', new Float32Array(0), [batch, config.numKvHeads, 0, headDim(config)]);
      feeds[name] = step.past?.[name] ?? empty;
    }
  }
  const out = await session.run(feeds);
  const logits = out.logits!;
  const past: Record<string, ort.Tensor> = {};
  for (const [name, tensor] of Object.entries(out)) {
    if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = tensor;
  }
  const data =
    logits.type === 'float16' ? float16ToFloat32(logits.data as Uint16Array) : (logits.data as Float32Array);
  return { logits: data, logitsDims: logits.dims, past };
}

/** Greedy decoding through ONNX Runtime: prefill, then one decode step per token, KV cache fed back. */
export async function onnxGreedy(
  session: ort.InferenceSession,
  config: LlamaConfig,
  promptIds: number[],
  maxNewTokens: number,
): Promise<number[]> {
  const generated: number[] = [];
  let step: LlamaStep = {
    ids: [promptIds],
    mask: [promptIds.map(() => 1)],
    positions: [promptIds.map((_, i) => i)],
  };
  for (let n = 0; n < maxNewTokens; n++) {
    const { logits, logitsDims, past } = await runLlamaStep(session, config, step);
    const vocab = logitsDims[2]!;
    const next = argmax(logits.subarray(logits.length - vocab));
    generated.push(next);
    const length = step.mask[0]!.length + 1;
    step = { ids: [[next]], mask: [Array(length).fill(1)], positions: [[length - 1]], past };
  }
  return generated;
}
