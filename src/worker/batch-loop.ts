import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FinishReason, GenerationRequest } from '../engine/generation-params.js';
import type { ModelConfig } from '../engine/model-config.js';
import type { ModelRunner } from '../engine/model-runner.js';
import { Sequence } from '../engine/sequence.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { errorMessage } from './error-message.js';
import type { WorkerEvent, WorkerOptions } from './protocol.js';

type CancelReason = 'cancelled' | 'timeout';

/** A sequence and when things happened to it (performance.now() ms). */
interface Entry {
  sequence: Sequence;
  arrivedAt: number;
  /** When its prefill began. */
  startedAt?: number;
  firstTokenAt?: number;
  /** Prompt tokens already in its KV cache. */
  prefilled: number;
}

/**
 * Continuous batching: sequences arrive at any time and wait first come, first served; between decode steps
 * ended and cancelled ones leave, and the head of the queue is prefilled one chunk at a time (so the running
 * ones keep producing tokens) and joins the batch when its prompt is in. At most maxBatchSize run at once.
 */
export class BatchLoop {
  private readonly runner: ModelRunner;
  private readonly config: ModelConfig;
  private readonly tokenizer: Tokenizer;
  private readonly options: Pick<WorkerOptions, 'maxBatchSize' | 'prefillChunkTokens'>;
  private readonly emit: (event: WorkerEvent) => void;
  private readonly waiting: Entry[] = [];
  private readonly running = new Map<string, Entry>();
  private readonly cancels = new Map<string, CancelReason>();
  private looping = false;
  private draining = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    runner: ModelRunner,
    config: ModelConfig,
    tokenizer: Tokenizer,
    options: Pick<WorkerOptions, 'maxBatchSize' | 'prefillChunkTokens'>,
    emit: (event: WorkerEvent) => void,
  ) {
    this.runner = runner;
    this.config = config;
    this.tokenizer = tokenizer;
    this.options = options;
    this.emit = emit;
  }

  submit(request: GenerationRequest): void {
    const entry: Entry = {
      sequence: new Sequence(request, this.config.eosTokenIds, this.tokenizer.createStreamDecoder()),
      arrivedAt: performance.now(),
      prefilled: 0,
    };
    const refusal = this.refusal(request);
    if (refusal !== undefined) this.finish(entry, 'error', refusal);
    else if (request.stopping.maxNewTokens === 0) this.finish(entry, 'length');
    else {
      this.waiting.push(entry);
      this.startLoop();
    }
  }

  /** Takes effect at the next step boundary; ids that already ended are ignored. */
  cancel(id: string, reason: CancelReason): void {
    if (this.running.has(id) || this.waiting.some((e) => e.sequence.request.id === id))
      this.cancels.set(id, reason);
  }

  /** Refuses new sequences and resolves once every accepted one has ended. */
  drain(): Promise<void> {
    this.draining = true;
    if (!this.looping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private refusal(request: GenerationRequest): string | undefined {
    if (this.draining) return 'the worker is shutting down';
    const { promptIds } = request;
    if (promptIds.length === 0) return 'the prompt has no tokens';
    const bad = promptIds.find((id) => !Number.isInteger(id) || id < 0 || id >= this.config.vocabSize);
    if (bad !== undefined) return `token id ${bad} is outside the vocabulary of ${this.config.vocabSize}`;
    const needed = promptIds.length + request.stopping.maxNewTokens;
    if (needed > this.config.contextTokens) {
      return (
        `the prompt has ${promptIds.length} tokens and max_new_tokens is ${request.stopping.maxNewTokens}: ` +
        `${needed} is more than the model's context of ${this.config.contextTokens} tokens`
      );
    }
    return undefined;
  }

  private startLoop(): void {
    if (this.looping) return;
    this.looping = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (this.waiting.length > 0 || this.running.size > 0) {
      this.applyCancels();
      await this.prefillChunk();
      await this.decodeStep();
      // Let 'submit' and 'cancel' messages in between steps.
      await nextTurn();
    }
    this.looping = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private applyCancels(): void {
    if (this.cancels.size === 0) return;
    const ended: string[] = [];
    for (const [id, reason] of this.cancels) {
      const index = this.waiting.findIndex((e) => e.sequence.request.id === id);
      const entry = this.running.get(id) ?? this.waiting[index];
      if (!entry) continue;
      if (index !== -1) this.waiting.splice(index, 1);
      this.running.delete(id);
      ended.push(id);
      this.finish(entry, reason);
    }
    this.cancels.clear();
    this.runner.cache.release(ended);
  }

  /** One chunk of the oldest waiting prompt, when the batch has room for it. */
  private async prefillChunk(): Promise<void> {
    const entry = this.waiting[0];
    if (!entry || this.running.size >= this.options.maxBatchSize) return;
    const { id, promptIds } = entry.sequence.request;
    entry.startedAt ??= performance.now();
    const chunk = promptIds.slice(entry.prefilled, entry.prefilled + this.options.prefillChunkTokens);
    let logits: Float32Array;
    try {
      logits = await this.runner.prefill(id, chunk);
    } catch (err) {
      this.waiting.shift();
      this.runner.cache.release([id]);
      this.finish(entry, 'error', `prefill failed: ${errorMessage(err)}`);
      return;
    }
    entry.prefilled += chunk.length;
    if (entry.prefilled < promptIds.length) return;
    this.waiting.shift();
    if (this.acceptToken(entry, entry.sequence.pickNext(logits))) {
      this.runner.cache.release([id]);
    } else {
      this.runner.cache.join(id);
      this.running.set(id, entry);
    }
  }

  /** One token for every running sequence; the ones that end leave the batch. */
  private async decodeStep(): Promise<void> {
    const rows = [...this.runner.cache.rows];
    if (rows.length === 0) return;
    const entries = rows.map((id) => this.running.get(id)!);
    let logits: Float32Array[];
    try {
      logits = await this.runner.decode(entries.map((e) => e.sequence.lastTokenId));
    } catch (err) {
      this.runner.cache.release(rows);
      for (const entry of entries) {
        this.running.delete(entry.sequence.request.id);
        this.finish(entry, 'error', `decode step failed: ${errorMessage(err)}`);
      }
      return;
    }
    const ended = rows.filter((_, row) => {
      const entry = entries[row]!;
      return this.acceptToken(entry, entry.sequence.pickNext(logits[row]!));
    });
    for (const id of ended) this.running.delete(id);
    this.runner.cache.release(ended);
    this.emit({ type: 'step', batchSize: rows.length, waiting: this.waiting.length });
  }

  /** Streams one generated token; true when the sequence ended with it (its 'done' is sent). */
  private acceptToken(entry: Entry, tokenId: number): boolean {
    entry.firstTokenAt ??= performance.now();
    const outcome = entry.sequence.accept(tokenId);
    this.emit({ type: 'token', id: entry.sequence.request.id, tokenId, text: outcome.text });
    if (outcome.finishReason === undefined) return false;
    this.finish(entry, outcome.finishReason);
    return true;
  }

  private finish(entry: Entry, finishReason: FinishReason, error?: string): void {
    const now = performance.now();
    const { sequence } = entry;
    this.emit({
      type: 'done',
      id: sequence.request.id,
      finishReason,
      text: sequence.text,
      promptTokens: sequence.request.promptIds.length,
      generatedTokens: sequence.generatedIds.length,
      timings: {
        queueMs: (entry.startedAt ?? now) - entry.arrivedAt,
        firstTokenMs: (entry.firstTokenAt ?? now) - entry.arrivedAt,
        totalMs: now - entry.arrivedAt,
      },
      ...(error === undefined ? {} : { error }),
    });
  }
}
