import type { GenerationRequest } from '../engine/generation-params.js';
import type { ModelInfo } from '../engine/load-model.js';
import type { CancelReason } from '../engine/sequence-result.js';
import { WorkerHandle, type WorkerIsolation, type WorkerSequenceEvent } from '../worker/handle.js';
import type { WorkerOptions } from '../worker/protocol.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

/** What the pool tells the scheduler about one sequence: the worker it went to, then that worker's events. */
export type PoolEvent = { type: 'dispatched'; worker: number } | WorkerSequenceEvent;

export type SequenceListener = (event: PoolEvent) => void;

/** Where the pool's and its workers' messages go (the server's pino logger), each with the worker's index. */
export interface PoolLogger {
  info(fields: { worker: number; kvCacheBytes?: number }, message: string): void;
  warn(fields: { worker: number }, message: string): void;
  error(fields: { worker: number }, message: string): void;
}

/** One worker thread and the sequences it holds. */
export interface PoolWorker {
  readonly index: number;
  handle: WorkerHandle;
  /** Set once this worker's current thread has loaded the model. */
  info?: ModelInfo;
  readonly sequences: Set<string>;
}

/** Where the pool's workers run. */
export interface WorkerPlacement {
  /** Worker i uses device deviceIds[i % length] (default: device i). */
  deviceIds?: readonly number[];
  /** Threads of this process, or child processes that a native crash ends alone (default 'thread'). */
  isolation?: WorkerIsolation;
}

/**
 * N workers, one ONNX Runtime session each, each on its device. A worker that dies (in a child process: even
 * of a native crash) has already failed the sequences it held; the pool counts it and starts a new one in its
 * place. The pool is ready when every worker is.
 */
export class WorkerPool {
  private readonly workers: PoolWorker[];
  private readonly capacityListeners: (() => void)[] = [];
  private closing = false;

  constructor(
    size: number,
    private readonly workerOptions: Omit<WorkerOptions, 'deviceId'>,
    private readonly metrics?: SchedulerMetrics,
    private readonly log?: PoolLogger,
    private readonly placement: WorkerPlacement = {},
  ) {
    this.workers = Array.from({ length: size }, (_, index) => {
      const worker: PoolWorker = { index, handle: this.startThread(index), sequences: new Set() };
      this.watch(worker);
      return worker;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  get readyCount(): number {
    return this.workers.filter((worker) => worker.info !== undefined).length;
  }

  /** Sequences held by workers (in a batch or in a worker's own queue). */
  get sequenceCount(): number {
    return this.workers.reduce((sum, worker) => sum + worker.sequences.size, 0);
  }

  /** Resolves when every worker has loaded the model; rejects when one cannot. */
  ready(): Promise<ModelInfo[]> {
    return Promise.all(this.workers.map((worker) => worker.handle.ready));
  }

  /** `callback` runs whenever a worker gains a free slot (it loaded, or one of its sequences ended). */
  onCapacity(callback: () => void): void {
    this.capacityListeners.push(callback);
  }

  /** The loaded worker holding the fewest sequences, if that is fewer than `limit`. */
  leastLoaded(limit: number): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const worker of this.workers) {
      if (worker.info === undefined || worker.sequences.size >= limit) continue;
      if (best === undefined || worker.sequences.size < best.sequences.size) best = worker;
    }
    return best;
  }

  /** Hands a sequence to `worker`; with streamTokens the listener hears each token, else only 'done'. */
  submit(
    worker: PoolWorker,
    request: GenerationRequest,
    listener: SequenceListener,
    streamTokens: boolean,
  ): void {
    worker.sequences.add(request.id);
    listener({ type: 'dispatched', worker: worker.index });
    worker.handle.submit(
      request,
      (event) => {
        if (event.type === 'done') worker.sequences.delete(request.id);
        listener(event);
        if (event.type === 'done') this.notifyCapacity();
      },
      streamTokens,
    );
  }

  cancel(id: string, reason: CancelReason): void {
    for (const worker of this.workers) {
      if (worker.sequences.has(id)) worker.handle.cancel(id, reason);
    }
  }

  /** Lets the workers finish what they hold, then stops their threads. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.handle.shutdown()));
  }

  /** Stops every thread now; what they hold ends with 'error'. */
  async terminate(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((worker) => worker.handle.terminate()));
  }

  private startThread(index: number): WorkerHandle {
    const ids = this.placement.deviceIds;
    const deviceId = ids && ids.length > 0 ? ids[index % ids.length]! : index;
    const handle = new WorkerHandle({ ...this.workerOptions, deviceId }, this.placement.isolation);
    // What the worker itself reports (e.g. CUDA fell back to CPU).
    handle.on('log', (event) => this.log?.[event.level]({ worker: index }, event.message));
    return handle;
  }

  private watch(worker: PoolWorker): void {
    const { handle } = worker;
    handle.ready.then(
      (info) => {
        worker.info = info;
        this.log?.info(
          { worker: worker.index, kvCacheBytes: info.kvCacheBytes },
          `worker ready (${info.provider}, ${info.dtype}; KV cache on the ${info.kvCache}, ${info.kvCacheBytes} bytes reserved)`,
        );
        this.notifyCapacity();
      },
      (err: Error) => this.log?.error({ worker: worker.index }, `cannot load the model: ${err.message}`),
    );
    handle.on('step', (step) => this.metrics?.step(worker.index, step.batchSize, step.waiting));
    handle.once('exit', (error) => {
      if (this.closing) return;
      this.log?.error({ worker: worker.index }, `worker died (${error.message}); starting a new one`);
      this.metrics?.workerRestarted(worker.index);
      worker.info = undefined;
      worker.handle = this.startThread(worker.index);
      this.watch(worker);
    });
  }

  private notifyCapacity(): void {
    for (const callback of this.capacityListeners) callback();
  }
}
