import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { GenerationRequest } from '../engine/generation-params.js';
import type { ModelConfig } from '../engine/model-config.js';
import type { ModelRunner } from '../engine/model-runner.js';
import { contextOverflow, vocabularyViolation } from '../engine/request-limits.js';
import { Sequence } from '../engine/sequence.js';
import type { CancelReason, FinishReason, SequenceError } from '../engine/sequence-result.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { errorMessage } from './error-message.js';
import type { WorkerEvent, WorkerOptions } from './protocol.js';

/** A sequence and when things happened to it (performance.now() ms). */
interface Entry {
  sequence: Sequence;
  /** Send a 'token' event per token (else only 'done'). */
  streamTokens: boolean;
  arrivedAt: number;
  /** When its prefill began. */
  startedAt?: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  interTokenMs: number[];
  /** Prompt tokens already in its KV cache. */
  prefilled: number;
}

/**
 * Continuous batching: sequences arrive at any time and wait first come, first served; between decode steps
 * ended and cancelled ones leave, and the head of the queue is prefilled one chunk at a time (so the running
 * ones keep producing tokens) and joins the batch when its prompt is in; short prompts waiting together are
 * prefilled in one run (a run costs about the same for one row as for several). At most maxBatchSize run at
 * once.
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
  /** Sequences in this turn's prefill run (0: none), reported with the decode step after it. */
  private lastPrefillSize = 0;
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

  /** Queues a sequence; with streamTokens each generated token is emitted as it comes, else only its 'done'. */
  submit(request: GenerationRequest, streamTokens: boolean): void {
    const entry: Entry = {
      sequence: new Sequence(request, this.config.eosTokenIds, this.tokenizer.createStreamDecoder()),
      streamTokens,
      arrivedAt: performance.now(),
      interTokenMs: [],
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

  private refusal(request: GenerationRequest): SequenceError | undefined {
    if (this.draining) return { kind: 'failed', message: 'the worker is shutting down' };
    const { promptIds } = request;
    const invalid =
      promptIds.length === 0
        ? 'the prompt has no tokens'
        : (vocabularyViolation(promptIds, this.config.vocabSize) ??
          contextOverflow(promptIds.length, request.stopping.maxNewTokens, this.config.contextTokens));
    return invalid === undefined ? undefined : { kind: 'invalid-request', message: invalid };
  }

  private startLoop(): void {
    if (this.looping) return;
    this.looping = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (this.waiting.length > 0 || this.running.size > 0) {
      // Let 'submit' and 'cancel' messages in between steps, and before the first one the rest of the
      // submissions that started the loop, so that they are prefilled together.
      await nextTurn();
      this.applyCancels();
      await this.prefill();
      await this.decodeStep();
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

  /**
   * One prefill run, when the batch has room: the next chunk of the oldest waiting prompt, or, when its whole
   * prompt fits in one chunk, it and the prompts right behind it that do too, as many as there are free slots.
   */
  private async prefill(): Promise<void> {
    this.lastPrefillSize = 0;
    const group = this.prefillGroup();
    if (group.length === 0) return;
    const ids = group.map((entry) => entry.sequence.request.id);
    const chunks = group.map((entry) => {
      entry.startedAt ??= performance.now();
      const { promptIds } = entry.sequence.request;
      return promptIds.slice(entry.prefilled, entry.prefilled + this.options.prefillChunkTokens);
    });
    let logits: Float32Array[];
    try {
      logits = await this.runner.prefillBatch(ids, chunks);
    } catch (err) {
      this.waiting.splice(0, group.length);
      this.runner.cache.release(ids);
      const error = { kind: 'failed', message: `prefill failed: ${errorMessage(err)}` } as const;
      for (const entry of group) this.finish(entry, 'error', error);
      return;
    }
    this.lastPrefillSize = group.length;
    const head = group[0]!;
    head.prefilled += chunks[0]!.length;
    if (head.prefilled < head.sequence.request.promptIds.length) return;
    // Every one in a group of several had its whole prompt in: all join, in order.
    this.waiting.splice(0, group.length);
    group.forEach((entry, row) => {
      entry.prefilled = entry.sequence.request.promptIds.length;
      const { id } = entry.sequence.request;
      if (this.acceptToken(entry, entry.sequence.pickNext(logits[row]!))) {
        this.runner.cache.release([id]);
      } else {
        this.runner.cache.join(id);
        this.running.set(id, entry);
      }
    });
  }

  /** The waiting sequences the next prefill run takes, oldest first (never skipping the oldest). */
  private prefillGroup(): Entry[] {
    const free = this.options.maxBatchSize - this.running.size;
    const fitsOneChunk = (entry: Entry) =>
      entry.prefilled === 0 && entry.sequence.request.promptIds.length <= this.options.prefillChunkTokens;
    if (free <= 0 || this.waiting.length === 0) return [];
    const end = this.waiting.findIndex((entry, i) => i >= free || !fitsOneChunk(entry));
    // A head whose prompt takes several chunks is prefilled alone, a chunk at a time.
    return this.waiting.slice(0, end === -1 ? undefined : Math.max(1, end));
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
      const error = { kind: 'failed', message: `decode step failed: ${errorMessage(err)}` } as const;
      for (const entry of entries) {
        this.running.delete(entry.sequence.request.id);
        this.finish(entry, 'error', error);
      }
      return;
    }
    const ended = rows.filter((_, row) => {
      const entry = entries[row]!;
      return this.acceptToken(entry, entry.sequence.pickNext(logits[row]!));
    });
    for (const id of ended) this.running.delete(id);
    this.runner.cache.release(ended);
    this.emit({
      type: 'step',
      batchSize: rows.length,
      waiting: this.waiting.length,
      prefillBatchSize: this.lastPrefillSize,
    });
  }

  /** Takes one generated token (streamed when asked); true when the sequence ended with it (its 'done' is sent). */
  private acceptToken(entry: Entry, tokenId: number): boolean {
    const now = performance.now();
    if (entry.lastTokenAt === undefined) entry.firstTokenAt = now;
    else entry.interTokenMs.push(now - entry.lastTokenAt);
    entry.lastTokenAt = now;
    const outcome = entry.sequence.accept(tokenId);
    if (entry.streamTokens)
      this.emit({ type: 'token', id: entry.sequence.request.id, tokenId, text: outcome.text });
    if (outcome.finishReason === undefined) return false;
    this.finish(entry, outcome.finishReason);
    return true;
  }

  private finish(entry: Entry, finishReason: FinishReason, error?: SequenceError): void {
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
        ...(entry.firstTokenAt === undefined ? {} : { firstTokenMs: entry.firstTokenAt - entry.arrivedAt }),
        interTokenMs: entry.interTokenMs,
        totalMs: now - entry.arrivedAt,
      },
      ...(error === undefined ? {} : { error }),
    });
  }
}
