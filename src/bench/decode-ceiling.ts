/**
 * The bare ONNX Runtime decode ceiling: what one session does with no HTTP, no queue, no sampling and no
 * detokenization. At batch 1, the server's single-stream rate divided by it is the share the server's own
 * machinery leaves; at a larger batch (every row the same prompt, in step) it bounds what batching can add.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InferenceSession } from 'onnxruntime-node';
import { detectIoLayout } from '../engine/io-layout.js';
import { createKvCache } from '../engine/load-model.js';
import { readModelConfig } from '../engine/model-config.js';
import { ModelRunner } from '../engine/model-runner.js';
import { createSession } from '../engine/session.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { median } from './percentiles.js';
import { buildPrompt } from './prompt.js';

export interface DecodeLoopOptions {
  modelDir: string;
  /** As the server's worker sets them, so both use the same cores the same way. */
  intraOpThreads: number;
  promptTokens: number;
  decodeSteps: number;
  /** The batch sizes this loop will be asked for (one KV cache each, on one session). */
  batches: readonly number[];
  /** Tokens each KV cache row holds (default: the model's context); a 13B cache of 4096 is 3.4 GB a row. */
  contextTokens?: number;
}

/** One repetition: every row prefilled, then decodeSteps steps of all rows together. */
export interface DecodeRepetition {
  /** batch × decodeSteps / decode time. */
  tokensPerS: number;
  /** Prefill time per row. */
  prefillMs: number;
}

/**
 * One session on the model, kept open so that a benchmark can take one repetition at a time between its
 * server measurements without loading the model again.
 */
export class DecodeLoop {
  /** The prompt's length as this model's tokenizer counts it (the same text the load generator sends). */
  readonly promptTokens: number;
  private readonly session: InferenceSession;
  private readonly runners: Map<number, ModelRunner>;
  private readonly ids: number[];
  private readonly decodeSteps: number;

  private constructor(
    session: InferenceSession,
    runners: Map<number, ModelRunner>,
    ids: number[],
    decodeSteps: number,
  ) {
    this.session = session;
    this.runners = runners;
    this.ids = ids;
    this.promptTokens = ids.length;
    this.decodeSteps = decodeSteps;
  }

  static async open(options: DecodeLoopOptions): Promise<DecodeLoop> {
    const config = await readModelConfig(options.modelDir);
    const tokenizer = await loadTokenizer(options.modelDir);
    const prompt = await buildPrompt(options.promptTokens, async (text) => tokenizer.encode(text));
    const ids = tokenizer.encode(prompt.text);
    if (ids.length + options.decodeSteps > config.contextTokens) {
      throw new Error(
        `${ids.length} prompt tokens + ${options.decodeSteps} decode steps exceed the model's context of ${config.contextTokens}`,
      );
    }
    // Threads that keep spinning between runs (unlike the server's): the fastest a loop that has the cores to
    // itself goes, so the ceiling is not lowered by a setting made for the server.
    const { session } = await createSession(
      join(options.modelDir, 'model.onnx'),
      { provider: 'cpu', deviceId: 0, intraOpThreads: options.intraOpThreads, spinBetweenRuns: true },
      () => {},
    );
    const layout = detectIoLayout(session, config);
    // The engine's own runner and KV cache (no sampling, no detokenization): the least any server does.
    const runners = new Map(
      options.batches.map((batch) => [
        batch,
        new ModelRunner(
          session,
          layout,
          createKvCache(layout, batch, options.contextTokens ?? config.contextTokens),
        ),
      ]),
    );
    return new DecodeLoop(session, runners, ids, options.decodeSteps);
  }

  async repetition(batch: number): Promise<DecodeRepetition> {
    const runner = this.runners.get(batch);
    if (!runner) throw new Error(`this decode loop was not opened for batch ${batch}`);
    const rows = Array.from({ length: batch }, (_, row) => `row-${row}`);
    // No sampling: every step feeds the prompt's last token again; the work per step does not depend on it.
    const tokens = rows.map(() => this.ids.at(-1)!);
    const prefillStarted = performance.now();
    for (const row of rows) {
      await runner.prefill(row, this.ids);
      runner.join(row);
    }
    const prefillMs = (performance.now() - prefillStarted) / batch;
    const started = performance.now();
    for (let i = 0; i < this.decodeSteps; i++) await runner.decode(rows, tokens);
    const tokensPerS = (batch * this.decodeSteps) / ((performance.now() - started) / 1000);
    runner.release(rows);
    return { tokensPerS, prefillMs };
  }

  close(): Promise<void> {
    return this.session.release();
  }
}

export interface DecodeCeilingOptions extends Omit<DecodeLoopOptions, 'batches'> {
  /** Sequences decoded together in each step. */
  batch: number;
  /** Timed repetitions (one more runs first, untimed, as warm-up); the median is reported. */
  repetitions: number;
}

export interface DecodeCeiling {
  promptTokens: number;
  prefillMs: number;
  /** The median repetition's rate. */
  tokensPerS: number;
  /** Every timed repetition's rate, in order. */
  repetitionTokensPerS: number[];
}

/** A fresh session, one warm-up repetition, then `repetitions` timed ones. */
export async function measureDecodeCeiling(options: DecodeCeilingOptions): Promise<DecodeCeiling> {
  const loop = await DecodeLoop.open({ ...options, batches: [options.batch] });
  try {
    let last = await loop.repetition(options.batch);
    const rates: number[] = [];
    for (let repetition = 0; repetition < options.repetitions; repetition++) {
      last = await loop.repetition(options.batch);
      rates.push(last.tokensPerS);
    }
    return {
      promptTokens: loop.promptTokens,
      prefillMs: last.prefillMs,
      tokensPerS: median(rates),
      repetitionTokensPerS: rates,
    };
  } finally {
    await loop.close();
  }
}
