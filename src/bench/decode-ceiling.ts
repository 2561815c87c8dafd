/**
 * The bare ONNX Runtime decode ceiling: what one session does with no HTTP, no queue, no sampling and no
 * detokenization. At batch 1, the server's single-stream rate divided by it is the share the server's own
 * machinery leaves; at a larger batch (every row the same prompt, in step) it bounds what batching can add.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { detectIoLayout, type IoLayout } from '../engine/io-layout.js';
import { readModelConfig } from '../engine/model-config.js';
import { createSession } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { percentile } from './percentiles.js';
import { buildPrompt } from './prompt.js';

export interface DecodeCeilingOptions {
  modelDir: string;
  /** As the server's worker sets them, so both use the same cores the same way. */
  intraOpThreads: number;
  promptTokens: number;
  decodeSteps: number;
  /** Sequences decoded together in each step. */
  batch: number;
  /** Timed repetitions (one more runs first, untimed, as warm-up); the median is reported. */
  repetitions: number;
}

export interface DecodeCeiling {
  /** The prompt's length as this model's tokenizer counts it (the same text the load generator sends). */
  promptTokens: number;
  prefillMs: number;
  /** batch × decodeSteps / decode time, the median repetition. */
  tokensPerS: number;
  /** Every timed repetition's rate, in order. */
  repetitionTokensPerS: number[];
}

type Feeds = Record<string, Tensor>;

const int64 = (values: number[], dims: number[]) =>
  new Tensor('int64', BigInt64Array.from(values, BigInt), dims);

function emptyPast(layout: IoLayout, batch: number): Feeds {
  const dims = [batch, layout.kvHeads, 0, layout.headDim];
  const data = () => (layout.kvDtype === 'float16' ? new Uint16Array(0) : new Float32Array(0));
  const feeds: Feeds = {};
  for (let i = 0; i < layout.numLayers; i++) {
    feeds[layout.pastKeys[i]!] = new Tensor(layout.kvDtype, data(), dims);
    feeds[layout.pastValues[i]!] = new Tensor(layout.kvDtype, data(), dims);
  }
  return feeds;
}

/**
 * Runs `ids` in each of `batch` rows after `pastLength` cached positions; returns this run's present key/values
 * as the next past.
 */
async function step(
  session: InferenceSession,
  layout: IoLayout,
  batch: number,
  ids: number[],
  pastLength: number,
  past: Feeds,
): Promise<Feeds> {
  const total = pastLength + ids.length;
  const rows = <T>(row: T[]) => Array.from({ length: batch }, () => row).flat();
  const feeds: Feeds = {
    ...past,
    [layout.inputIds]: int64(rows(ids), [batch, ids.length]),
    [layout.attentionMask]: int64(rows(new Array(total).fill(1)), [batch, total]),
  };
  if (layout.positionIds) {
    feeds[layout.positionIds] = int64(rows(ids.map((_, i) => pastLength + i)), [batch, ids.length]);
  }
  const outputs = await session.run(feeds);
  const next: Feeds = {};
  for (let i = 0; i < layout.numLayers; i++) {
    next[layout.pastKeys[i]!] = outputs[layout.presentKeys[i]!] as Tensor;
    next[layout.pastValues[i]!] = outputs[layout.presentValues[i]!] as Tensor;
  }
  return next;
}

export async function measureDecodeCeiling(options: DecodeCeilingOptions): Promise<DecodeCeiling> {
  const config = await readModelConfig(options.modelDir);
  const tokenizer = await loadTokenizer(options.modelDir);
  const prompt = await buildPrompt(options.promptTokens, async (text) => tokenizer.encode(text));
  const ids = tokenizer.encode(prompt.text);
  if (ids.length + options.decodeSteps > config.contextTokens) {
    throw new Error(
      `${ids.length} prompt tokens + ${options.decodeSteps} decode steps exceed the model's context of ${config.contextTokens}`,
    );
  }
  const { session } = await createSession(
    join(options.modelDir, 'model.onnx'),
    { provider: 'cpu', deviceId: 0, intraOpThreads: options.intraOpThreads },
    () => {},
  );
  try {
    const layout = detectIoLayout(session, config);
    const prefillStarted = performance.now();
    const { batch } = options;
    const prefilled = await step(session, layout, batch, ids, 0, emptyPast(layout, batch));
    const prefillMs = performance.now() - prefillStarted;
    // No sampling: every step feeds the prompt's last token again; the work per step does not depend on it.
    const token = ids.at(-1)!;
    const rates: number[] = [];
    for (let repetition = 0; repetition <= options.repetitions; repetition++) {
      let past = prefilled;
      const started = performance.now();
      for (let i = 0; i < options.decodeSteps; i++)
        past = await step(session, layout, batch, [token], ids.length + i, past);
      const rate = (batch * options.decodeSteps) / ((performance.now() - started) / 1000);
      if (repetition > 0) rates.push(rate);
    }
    return {
      promptTokens: ids.length,
      prefillMs,
      tokensPerS: percentile(
        [...rates].sort((a, b) => a - b),
        50,
      ),
      repetitionTokensPerS: rates,
    };
  } finally {
    await session.release();
  }
}
