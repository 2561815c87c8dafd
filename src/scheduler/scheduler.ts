import { type LifecycleHost, type QueuedSequence, RequestLifecycle } from './request-lifecycle.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';
import type { SequenceDone, SequenceEvent, SequenceSpec } from './sequence-event.js';
import type { WorkerPool } from './worker-pool.js';

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

/**
 * The route-independent generation path: a FIFO queue of sequences in front of the worker pool. A sequence
 * leaves the queue, oldest first, for the least loaded worker that has a free batch slot; each worker batches
 * the sequences it holds. Cancellation (client gone, timeout) reaches queued and running sequences alike.
 */
export class Scheduler {
  private readonly queue: QueuedSequence[] = [];
  private nextId = 0;
  /** What each request's lifecycle may do here. */
  private readonly host: LifecycleHost;

  constructor(
    private readonly pool: WorkerPool,
    /** Sequences one worker holds at most: its batch size. */
    private readonly slotsPerWorker: number,
    metrics?: SchedulerMetrics,
  ) {
    pool.onCapacity(() => this.dispatch());
    this.host = {
      enqueue: (sequence) => this.queue.push(sequence),
      unqueue: (sequence) => this.queue.splice(this.queue.indexOf(sequence), 1),
      cancel: (id, reason) => pool.cancel(id, reason),
      metrics,
    };
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
    const generation = new RequestLifecycle((this.nextId++).toString(36), sequences, options, this.host);
    this.dispatch();
    return generation;
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
