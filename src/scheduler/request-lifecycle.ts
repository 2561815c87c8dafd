import { performance } from 'node:perf_hooks';
import type { GenerationRequest } from '../engine/generation-params.js';
import { type CancelReason, emptyResult, type SequenceResult } from '../engine/sequence-result.js';
import { EventChannel } from './event-channel.js';
import type { GenerateOptions, Generation } from './scheduler.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';
import type { SequenceDone, SequenceEvent, SequenceSpec } from './sequence-event.js';
import type { PoolEvent } from './worker-pool.js';

/** A sequence as the scheduler's queue holds it, and who hears what the pool reports about it. */
export interface QueuedSequence {
  request: GenerationRequest;
  listener: (event: PoolEvent) => void;
  streamTokens: boolean;
}

/** What a request's lifecycle needs of the scheduler. */
export interface LifecycleHost {
  /** Puts a sequence at the back of the queue. */
  enqueue(sequence: QueuedSequence): void;
  /** Takes a sequence that has not left the queue out of it. */
  unqueue(sequence: QueuedSequence): void;
  /** Ends a sequence a worker holds at its next step; its 'done' carries `reason`. */
  cancel(id: string, reason: CancelReason): void;
  readonly metrics?: SchedulerMetrics;
}

/**
 * Where one of the request's sequences is: queued (in the scheduler's queue), dispatched (handed to a worker,
 * which queues and prefills it), streaming (its tokens are coming), settled (its 'done' is in).
 */
type SequenceState = 'queued' | 'dispatched' | 'streaming' | 'settled';

interface Tracked {
  readonly index: number;
  readonly queued: QueuedSequence;
  state: SequenceState;
  readonly enqueuedAt: number;
  dispatchedAt?: number;
}

/**
 * One request's sequences from the queue to their last 'done', as the Generation its caller iterates. Each
 * sequence goes queued → dispatched → streaming → settled; `settle` is the one place a sequence ends, and
 * the request with its last one (the iteration ends, `finished` resolves, the timer and abort listener go).
 * A stop (the caller's early return, its abort signal, the timeout) settles queued sequences at once and asks
 * the workers to end the others.
 */
export class RequestLifecycle implements Generation {
  readonly finished: Promise<SequenceDone[]>;
  private readonly sequences: readonly Tracked[];
  private readonly channel = new EventChannel<SequenceEvent>(() => this.stop('cancelled'));
  private readonly done: SequenceDone[] = [];
  private unsettled: number;
  private resolveFinished!: (done: SequenceDone[]) => void;
  private readonly timer?: NodeJS.Timeout;
  private readonly onAbort = () => this.stop('cancelled');

  constructor(
    id: string,
    specs: readonly SequenceSpec[],
    private readonly options: GenerateOptions,
    private readonly host: LifecycleHost,
  ) {
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
    this.timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => this.stop('timeout'), options.timeoutMs);
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.sequences = specs.map((spec, index) => {
      const request = {
        id: `${id}-${index}`,
        promptIds: spec.promptIds,
        sampling: spec.sampling,
        stopping: spec.stopping,
      };
      const tracked: Tracked = {
        index,
        state: 'queued',
        enqueuedAt: performance.now(),
        queued: {
          request,
          listener: (event) => this.onPoolEvent(tracked, event),
          streamTokens: options.streamTokens ?? true,
        },
      };
      return tracked;
    });
    this.unsettled = this.sequences.length;
    for (const tracked of this.sequences) host.enqueue(tracked.queued);
    if (this.unsettled === 0) this.settleRequest();
    if (options.signal?.aborted) this.stop('cancelled');
  }

  next(): Promise<IteratorResult<SequenceEvent>> {
    return this.channel.next();
  }

  return(): Promise<IteratorResult<SequenceEvent>> {
    return this.channel.return();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private onPoolEvent(tracked: Tracked, event: PoolEvent): void {
    if (event.type === 'dispatched') {
      tracked.state = 'dispatched';
      tracked.dispatchedAt = performance.now();
    } else if (event.type === 'token') {
      tracked.state = 'streaming';
      this.channel.push({ type: 'token', index: tracked.index, tokenId: event.tokenId, text: event.text });
    } else {
      const { type: _type, id: _id, ...result } = event;
      this.settle(tracked, result);
    }
  }

  /** Ends every sequence not yet settled: those still queued here and now, the others at their worker's next step. */
  private stop(reason: CancelReason): void {
    for (const tracked of this.sequences) {
      if (tracked.state === 'queued') {
        this.host.unqueue(tracked.queued);
        this.settle(tracked, emptyResult(tracked.queued.request.promptIds.length, reason));
      } else if (tracked.state !== 'settled') {
        this.host.cancel(tracked.queued.request.id, reason);
      }
    }
  }

  /**
   * A sequence's result, from the worker (timings from its arrival there) or made here for one that never left
   * the queue: recorded with its timings counted from its entry into the queue, and yielded.
   */
  private settle(tracked: Tracked, result: SequenceResult): void {
    const now = performance.now();
    tracked.state = 'settled';
    const mainQueueMs = (tracked.dispatchedAt ?? now) - tracked.enqueuedAt;
    const worker = result.timings;
    const timings = {
      queueMs: mainQueueMs + worker.queueMs,
      // Token timings come from the worker, where the tokens are made, streamed or not.
      ...(worker.firstTokenMs === undefined ? {} : { firstTokenMs: mainQueueMs + worker.firstTokenMs }),
      interTokenMs: worker.interTokenMs,
      totalMs: now - tracked.enqueuedAt,
    };
    const { metrics } = this.host;
    if (timings.firstTokenMs !== undefined) metrics?.firstToken(timings.firstTokenMs / 1000);
    for (const gap of timings.interTokenMs) metrics?.interToken(gap / 1000);
    metrics?.sequenceDone({
      queueSeconds: timings.queueMs / 1000,
      promptTokens: result.promptTokens,
      generatedTokens: result.generatedTokens,
    });
    const done: SequenceDone = { type: 'done', index: tracked.index, ...result, timings };
    this.done[tracked.index] = done;
    this.channel.push(done);
    if (--this.unsettled === 0) this.settleRequest();
  }

  private settleRequest(): void {
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.channel.end();
    this.resolveFinished(this.done);
  }
}
