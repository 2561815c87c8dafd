import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { GenerationRequest } from '../engine/generation-params.js';
import type { ModelInfo } from '../engine/load-model.js';
import { type CancelReason, emptyResult } from '../engine/sequence-result.js';
import { ChildProcessWorker, type WorkerLike } from './child-process-worker.js';
import type { WorkerCommand, WorkerEvent, WorkerOptions } from './protocol.js';

/** What one sequence's listener receives from its worker: its tokens, then exactly one 'done'. */
export type WorkerSequenceEvent = Extract<WorkerEvent, { type: 'token' | 'done' }>;
export type WorkerSequenceListener = (event: WorkerSequenceEvent) => void;
export type StepEvent = Extract<WorkerEvent, { type: 'step' }>;
export type LogEvent = Extract<WorkerEvent, { type: 'log' }>;

/**
 * Where a worker runs: a thread of this process, or a child process that a native crash (ONNX Runtime, a GPU
 * driver) ends alone.
 */
export type WorkerIsolation = 'thread' | 'process';

export interface WorkerHandleEvents {
  /** After every decode step in the worker. */
  step: [StepEvent];
  log: [LogEvent];
  /**
   * The loaded worker ended without being asked to (a crash): every sequence it held got 'done' with 'error'
   * first. An end before the model loaded is reported by `ready` alone.
   */
  exit: [Error];
}

/**
 * The main-thread side of one worker thread: one ONNX Runtime session, its batching loop, and the sequences
 * submitted to it.
 */
export class WorkerHandle extends EventEmitter<WorkerHandleEvents> {
  /** Resolves once the worker has loaded the model; rejects with the worker's message when it cannot. */
  readonly ready: Promise<ModelInfo>;
  private readonly worker: WorkerLike;
  /** In-flight sequences: who hears their events, and their prompt length (for a 'done' the worker never sent). */
  private readonly sequences = new Map<string, { listener: WorkerSequenceListener; promptTokens: number }>();
  /** Set once the end is expected: a shutdown, terminate or failed load. */
  private stopping = false;
  private loaded = false;
  private readonly exited: Promise<number>;
  private pending: WorkerCommand[] = [];

  constructor(options: WorkerOptions, isolation: WorkerIsolation = 'thread') {
    super();
    const entry = new URL('./thread.js', import.meta.url);
    this.worker =
      isolation === 'process'
        ? new ChildProcessWorker(entry, options)
        : new Worker(entry, { workerData: options });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (event: WorkerEvent) => {
        if (event.type === 'ready') {
          this.loaded = true;
          resolve(event.info);
        } else if (event.type === 'load-failed') {
          this.stopping = true;
          reject(new Error(event.message));
        } else this.onEvent(event);
      });
      this.worker.on('error', (err) => reject(err));
      this.worker.on('exit', (code) =>
        reject(new Error(`the worker exited (code ${code}) before the model loaded`)),
      );
    });
    // A failed load is reported through `ready`; a caller that never awaits it must not crash the process.
    this.ready.catch(() => {});
    let crash: Error | undefined;
    this.worker.on('error', (err) => {
      crash = err;
    });
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        const unexpected = this.loaded && (!this.stopping || crash !== undefined);
        const error = crash ?? new Error(`the worker exited with code ${code}`);
        this.failAll(error.message);
        if (unexpected) this.emit('exit', error);
        resolve(code);
      });
    });
  }

  /** Sequences submitted and not yet done. */
  get inFlight(): number {
    return this.sequences.size;
  }

  /**
   * Queues a sequence in the worker; `listener` gets its 'token' events (only with streamTokens, the default)
   * and one 'done'.
   */
  submit(request: GenerationRequest, listener: WorkerSequenceListener, streamTokens = true): void {
    if (this.sequences.has(request.id)) throw new Error(`sequence ${request.id} is already in this worker`);
    this.sequences.set(request.id, { listener, promptTokens: request.promptIds.length });
    this.post({ type: 'submit', request, streamTokens });
  }

  /** Ends a sequence at the next step boundary; its 'done' carries `reason`. */
  cancel(id: string, reason: CancelReason): void {
    if (this.sequences.has(id)) this.post({ type: 'cancel', id, reason });
  }

  /** Finishes the sequences in flight, refuses new ones, then lets the worker exit. */
  async shutdown(): Promise<void> {
    if (!this.stopping) this.post({ type: 'shutdown' });
    this.stopping = true;
    await this.exited;
  }

  /**
   * Stops the worker at the end of its current run; sequences in flight end with 'error'. (Worker.terminate()
   * inside an ONNX Runtime run would abort the whole process.)
   */
  async terminate(): Promise<void> {
    this.stopping = true;
    this.post({ type: 'terminate' });
    await this.exited;
  }

  /** Commands given in one synchronous burst (e.g. a request's several prompts) cross as one message. */
  private post(command: WorkerCommand): void {
    if (this.pending.push(command) === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const commands = this.pending;
    this.pending = [];
    this.worker.postMessage(commands.length === 1 ? commands[0]! : { type: 'commands', commands });
  }

  private onEvent(event: Exclude<WorkerEvent, { type: 'ready' | 'load-failed' }>): void {
    if (event.type === 'events') {
      for (const each of event.events)
        if (each.type !== 'ready' && each.type !== 'load-failed') this.onEvent(each);
    } else if (event.type === 'step') this.emit('step', event);
    else if (event.type === 'log') this.emit('log', event);
    else {
      const sequence = this.sequences.get(event.id);
      if (event.type === 'done') this.sequences.delete(event.id);
      sequence?.listener(event);
    }
  }

  /** The worker is gone: whatever it held ends with an error. */
  private failAll(message: string): void {
    const held = [...this.sequences];
    this.sequences.clear();
    for (const [id, { listener, promptTokens }] of held) {
      const error = { kind: 'failed', message: `worker ended: ${message}` } as const;
      listener({ type: 'done', id, ...emptyResult(promptTokens, 'error', error) });
    }
  }
}
