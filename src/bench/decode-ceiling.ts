/**
 * The bare ONNX Runtime decode ceiling: what one session does with no HTTP, no queue, no sampling and no
 * detokenization. At batch 1, the server's single-stream rate divided by it is the share the server's own
 * machinery leaves; at a larger batch (every row the same prompt, in step) it bounds what batching can add.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { detectIoLayout } from '../engine/io-layout.js';
import { createKvCache } from '../engine/load-model.js';
import { readModelConfig } from '../engine/model-config.js';
import { ModelRunner } from '../engine/model-runner.js';
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
    const { batch } = options;
    // The engine's own runner and KV cache (no sampling, no detokenization): the least any server does.
    const runner = new ModelRunner(session, layout, createKvCache(layout, batch, config.contextTokens));
    const rows = Array.from({ length: batch }, (_, row) => `row-${row}`);
    let prefillMs = 0;
    // No sampling: every step feeds the prompt's last token again; the work per step does not depend on it.
    const tokens = rows.map(() => ids.at(-1)!);
    const rates: number[] = [];
    for (let repetition = 0; repetition <= options.repetitions; repetition++) {
      const prefillStarted = performance.now();
      for (const row of rows) {
        await runner.prefill(row, ids);
        runner.cache.join(row);
      }
      prefillMs = (performance.now() - prefillStarted) / batch;
      const started = performance.now();
      for (let i = 0; i < options.decodeSteps; i++) await runner.decode(tokens);
      const rate = (batch * options.decodeSteps) / ((performance.now() - started) / 1000);
      if (repetition > 0) rates.push(rate);
      runner.cache.release(rows);
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
