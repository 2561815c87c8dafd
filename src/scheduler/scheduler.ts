import { performance } from 'node:perf_hooks';
import type { GenerationRequest } from '../engine/generation-params.js';
import { EventChannel } from './event-channel.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';
import type { SequenceDone, SequenceEvent, SequenceSpec } from './sequence-event.js';
import type { SequenceListener, WorkerPool } from './worker-pool.js';

export interface GenerateOptions {
  /** Aborting cancels every sequence still running (the client went away). */
  signal?: AbortSignal;
  /** After this many ms every sequence still running ends with finish reason 'timeout'. */
  timeoutMs?: number;
  /**
   * Yield a 'token' event per generated token (the default). Off, only the 'done' events come: for answers
   * given whole at the end, which then cost the worker no message per decode step.
   */
  streamTokens?: boolean;
}

/** One request's sequences in generation: their events in order as they happen, and how they all ended. */
export interface Generation extends AsyncIterableIterator<SequenceEvent> {
  /**
   * Every sequence's 'done', in request order, once the last has ended: also when the iteration stopped early
   * (its cancelled sequences end at the next decode step, after the consumer has gone).
   */
  readonly finished: Promise<SequenceDone[]>;
  /** Stops the iteration early: what is left is cancelled. */
  return(): Promise<IteratorResult<SequenceEvent>>;
}

interface QueuedSequence {
  request: GenerationRequest;
  listener: SequenceListener;
  streamTokens: boolean;
}

/**
 * The route-independent generation path: a FIFO queue of sequences in front of the worker pool. A sequence
 * leaves the queue, oldest first, for the least loaded worker that has a free batch slot; each worker batches
 * the sequences it holds. Cancellation (client gone, timeout) reaches queued and running sequences alike.
 */
export class Scheduler {
  private readonly queue: QueuedSequence[] = [];
  private nextId = 0;

  constructor(
    private readonly pool: WorkerPool,
    /** Sequences one worker holds at most: its batch size. */
    private readonly slotsPerWorker: number,
    private readonly metrics?: SchedulerMetrics,
  ) {
    pool.onCapacity(() => this.dispatch());
  }

  /** Sequences waiting in the main queue for a worker slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Sequences handed to a worker and not yet done. */
  get running(): number {
    return this.pool.sequenceCount;
  }

  /**
   * Generates every sequence, yielding their token and done events as they happen. The iteration ends after
   * the last 'done'; stopping it early cancels what is left.
   */
  generate(sequences: readonly SequenceSpec[], options: GenerateOptions = {}): Generation {
    const requestId = (this.nextId++).toString(36);
    /** This request's sequences not yet done, by id: in the queue or held by a worker. */
    const pending = new Map<string, QueuedSequence>();
    const channel = new EventChannel<SequenceEvent>(() => stop('cancelled'));
    const done: SequenceDone[] = [];
    let settle!: (done: SequenceDone[]) => void;
    const finished = new Promise<SequenceDone[]>((resolve) => {
      settle = resolve;
    });

    const stop = (reason: 'cancelled' | 'timeout') => {
      for (const [id, queued] of pending) {
        const at = this.queue.indexOf(queued);
        if (at >= 0) {
          this.queue.splice(at, 1);
          queued.listener({
            type: 'done',
            finishReason: reason,
            text: '',
            promptTokens: queued.request.promptIds.length,
            generatedTokens: 0,
          });
        } else {
          this.pool.cancel(id, reason);
        }
      }
    };
    const onAbort = () => stop('cancelled');
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    sequences.forEach((spec, index) => {
      const id = `${requestId}-${index}`;
      const enqueuedAt = performance.now();
      let dispatchedAt: number | undefined;
      const listener: SequenceListener = (event) => {
        const now = performance.now();
        if (event.type === 'dispatched') {
          dispatchedAt = now;
          return;
        }
        if (event.type === 'token') {
          channel.push({ type: 'token', index, tokenId: event.tokenId, text: event.text });
          return;
        }
        pending.delete(id);
        const mainQueueMs = (dispatchedAt ?? now) - enqueuedAt;
        const queueMs = mainQueueMs + (event.workerQueueMs ?? 0);
        // Token timings come from the worker, where the tokens are made, streamed or not.
        const firstTokenMs =
          event.workerFirstTokenMs === undefined ? undefined : mainQueueMs + event.workerFirstTokenMs;
        if (firstTokenMs !== undefined) this.metrics?.firstToken(firstTokenMs / 1000);
        for (const gap of event.interTokenMs ?? []) this.metrics?.interToken(gap / 1000);
        this.metrics?.sequenceDone({
          queueSeconds: queueMs / 1000,
          promptTokens: event.promptTokens,
          generatedTokens: event.generatedTokens,
        });
        const sequenceDone: SequenceDone = {
          type: 'done',
          index,
          finishReason: event.finishReason,
          text: event.text,
          promptTokens: event.promptTokens,
          generatedTokens: event.generatedTokens,
          queueMs,
          firstTokenMs,
          totalMs: now - enqueuedAt,
          error: event.error,
        };
        done[index] = sequenceDone;
        channel.push(sequenceDone);
        if (pending.size === 0) {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          channel.end();
          settle(done);
        }
      };
      const request: GenerationRequest = {
        id,
        promptIds: spec.promptIds,
        sampling: spec.sampling,
        stopping: spec.stopping,
      };
      const queued = { request, listener, streamTokens: options.streamTokens ?? true };
      pending.set(id, queued);
      this.queue.push(queued);
    });
    if (sequences.length === 0) {
      channel.end();
      settle(done);
    }
    if (options.signal?.aborted) stop('cancelled');
    this.dispatch();
    return {
      finished,
      next: () => channel.next(),
      return: () => channel.return(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Hands queued sequences, oldest first, to workers with a free slot. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.pool.leastLoaded(this.slotsPerWorker);
      if (worker === undefined) return;
      const next = this.queue.shift()!;
      this.pool.submit(worker, next.request, next.listener, next.streamTokens);
    }
  }
}
