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

/**
 * Where a sequence is in the loop: waiting for its first prefill run, prefilling (some of its prompt's chunks
 * are in the KV cache), running (in the decode batch), ended (its 'done' sent, nothing of it left in the cache).
 */
type Phase = 'waiting' | 'prefilling' | 'running' | 'ended';

/** A sequence the loop holds, its phase, and when things happened to it (performance.now() ms). */
interface Held {
  sequence: Sequence;
  phase: Phase;
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
 * once. Each sequence's phase lives in its `Held` alone; the runner keeps the KV cache in step with it.
 */
export class BatchLoop {
  private readonly runner: ModelRunner;
  private readonly config: ModelConfig;
  private readonly tokenizer: Tokenizer;
  private readonly options: Pick<WorkerOptions, 'maxBatchSize' | 'prefillChunkTokens'>;
  private readonly emit: (event: WorkerEvent) => void;
  /** Every sequence not ended, in arrival order. */
  private readonly held = new Map<string, Held>();
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

  /** Queues a sequence; with streamTokens each generated token is emitted as it comes, else only its 'done'. */
  submit(request: GenerationRequest, streamTokens: boolean): void {
    const held: Held = {
      sequence: new Sequence(request, this.config.eosTokenIds, this.tokenizer.createStreamDecoder()),
      phase: 'waiting',
      streamTokens,
      arrivedAt: performance.now(),
      interTokenMs: [],
      prefilled: 0,
    };
    const refusal = this.refusal(request);
    if (refusal !== undefined) this.end(held, 'error', refusal);
    else if (request.stopping.maxNewTokens === 0) this.end(held, 'length');
    else {
      this.held.set(request.id, held);
      this.startLoop();
    }
  }

  /** Takes effect at the next step boundary; ids that already ended are ignored. */
  cancel(id: string, reason: CancelReason): void {
    if (this.held.has(id)) this.cancels.set(id, reason);
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

  /** The sequences in `phases`, in arrival order. */
  private inPhase(...phases: Phase[]): Held[] {
    return [...this.held.values()].filter((held) => phases.includes(held.phase));
  }

  private startLoop(): void {
    if (this.looping) return;
    this.looping = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (this.held.size > 0) {
      // Let 'submit' and 'cancel' messages in between steps, and before the first one the rest of the
      // submissions that started the loop, so that they are prefilled together.
      await nextTurn();
      this.applyCancels();
      const prefilled = await this.prefill();
      await this.decodeStep(prefilled);
    }
    this.looping = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private applyCancels(): void {
    if (this.cancels.size === 0) return;
    const ended: string[] = [];
    for (const [id, reason] of this.cancels) {
      const held = this.held.get(id);
      if (!held) continue;
      ended.push(id);
      this.end(held, reason);
    }
    this.cancels.clear();
    this.runner.release(ended);
  }

  /**
   * One prefill run, when the batch has room: the next chunk of the oldest waiting prompt, or, when its whole
   * prompt fits in one chunk, it and the prompts right behind it that do too, as many as there are free slots.
   * Returns how many sequences the run took (0: there was none).
   */
  private async prefill(): Promise<number> {
    const group = this.prefillGroup();
    if (group.length === 0) return 0;
    const ids = group.map((held) => held.sequence.request.id);
    const chunks = group.map((held) => {
      held.startedAt ??= performance.now();
      const { promptIds } = held.sequence.request;
      return promptIds.slice(held.prefilled, held.prefilled + this.options.prefillChunkTokens);
    });
    let logits: Float32Array[];
    try {
      logits = await this.runner.prefillBatch(ids, chunks);
    } catch (err) {
      this.runner.release(ids);
      const error = { kind: 'failed', message: `prefill failed: ${errorMessage(err)}` } as const;
      for (const held of group) this.end(held, 'error', error);
      return 0;
    }
    const head = group[0]!;
    head.prefilled += chunks[0]!.length;
    if (head.prefilled < head.sequence.request.promptIds.length) {
      head.phase = 'prefilling';
      return group.length;
    }
    // Every one in a group of several had its whole prompt in: all join, in order.
    group.forEach((held, row) => {
      held.prefilled = held.sequence.request.promptIds.length;
      const { id } = held.sequence.request;
      this.accept(held, held.sequence.pickNext(logits[row]!));
      if (held.phase === 'ended') this.runner.release([id]);
      else {
        this.runner.join(id);
        held.phase = 'running';
      }
    });
    return group.length;
  }

  /** The waiting sequences the next prefill run takes, oldest first (never skipping the oldest). */
  private prefillGroup(): Held[] {
    const free = this.options.maxBatchSize - this.inPhase('running').length;
    const queue = this.inPhase('waiting', 'prefilling');
    const fitsOneChunk = (held: Held) =>
      held.phase === 'waiting' && held.sequence.request.promptIds.length <= this.options.prefillChunkTokens;
    if (free <= 0 || queue.length === 0) return [];
    const end = queue.findIndex((held, i) => i >= free || !fitsOneChunk(held));
    // A head whose prompt takes several chunks is prefilled alone, a chunk at a time.
    return queue.slice(0, end === -1 ? undefined : Math.max(1, end));
  }

  /**
   * One token for every running sequence; the ones that end leave the batch. `prefillBatchSize`: how many the
   * prefill run just before took, for the step's report.
   */
  private async decodeStep(prefillBatchSize: number): Promise<void> {
    const running = this.inPhase('running');
    if (running.length === 0) return;
    const ids = running.map((held) => held.sequence.request.id);
    let logits: Float32Array[];
    try {
      logits = await this.runner.decode(
        ids,
        running.map((held) => held.sequence.lastTokenId),
      );
    } catch (err) {
      this.runner.release(ids);
      const error = { kind: 'failed', message: `decode step failed: ${errorMessage(err)}` } as const;
      for (const held of running) this.end(held, 'error', error);
      return;
    }
    const ended = ids.filter((_, i) => {
      const held = running[i]!;
      this.accept(held, held.sequence.pickNext(logits[i]!));
      return held.phase === 'ended';
    });
    this.runner.release(ended);
    this.emit({
      type: 'step',
      batchSize: running.length,
      waiting: this.inPhase('waiting', 'prefilling').length,
      prefillBatchSize,
    });
  }

  /** Takes one generated token (streamed when asked); the sequence ends here when it ends with it. */
  private accept(held: Held, tokenId: number): void {
    const now = performance.now();
    if (held.lastTokenAt === undefined) held.firstTokenAt = now;
    else held.interTokenMs.push(now - held.lastTokenAt);
    held.lastTokenAt = now;
    const outcome = held.sequence.accept(tokenId);
    if (held.streamTokens)
      this.emit({ type: 'token', id: held.sequence.request.id, tokenId, text: outcome.text });
    if (outcome.finishReason !== undefined) this.end(held, outcome.finishReason);
  }

  /** The one way out: the sequence is no longer held and its 'done' is sent (its KV cache is the caller's to release). */
  private end(held: Held, finishReason: FinishReason, error?: SequenceError): void {
    const now = performance.now();
    const { sequence } = held;
    this.held.delete(sequence.request.id);
    held.phase = 'ended';
    this.emit({
      type: 'done',
      id: sequence.request.id,
      finishReason,
      text: sequence.text,
      promptTokens: sequence.request.promptIds.length,
      generatedTokens: sequence.generatedIds.length,
      timings: {
        queueMs: (held.startedAt ?? now) - held.arrivedAt,
        ...(held.firstTokenAt === undefined ? {} : { firstTokenMs: held.firstTokenAt - held.arrivedAt }),
        interTokenMs: held.interTokenMs,
        totalMs: now - held.arrivedAt,
      },
      ...(error === undefined ? {} : { error }),
    });
  }
}
