import { basename, resolve } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { ProviderChoice } from '../engine/execution-provider.js';
import { type ModelConfig, readModelConfig } from '../engine/model-config.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { SchedulerMetrics } from '../scheduler/scheduler-metrics.js';
import { WorkerPool } from '../scheduler/worker-pool.js';
import { loadTokenizer } from '../tokenizer/load.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { WorkerIsolation } from '../worker/handle.js';
import { HttpError } from './http/http-error.js';

export interface ModelOptions {
  modelDir: string;
  workers: number;
  provider: ProviderChoice;
  /** Worker i uses device deviceIds[i % length] (default: device i). */
  deviceIds?: readonly number[];
  /** Worker threads, or child processes (a native crash in one then ends it alone). Default: thread. */
  isolation?: WorkerIsolation;
  maxBatchSize: number;
  /** Longest sequence served (default: the model's context). */
  maxModelLen?: number;
  /** ONNX Runtime intra-op threads per worker session. */
  intraOpThreads: number;
  prefillChunkTokens: number;
}

/** What a generation route needs once the model is up. */
export interface LoadedModel {
  config: ModelConfig;
  /** Prompts are tokenized on the main thread: token counts decide the context check before admission. */
  tokenizer: Tokenizer;
  scheduler: Pick<Scheduler, 'generate'>;
}

/**
 * The model the server serves, as the server sees it: `ModelService` (worker threads, ONNX Runtime), or an
 * in-process fake in the tests of what answers before any generation (auth, ids, validation, errors).
 */
export interface ServedModel {
  /** The name the /v1 answers give and GET /v1/models lists. */
  readonly name: string;
  /** Resolves when the model is loaded everywhere; rejects with the first load failure. */
  readonly loaded: Promise<void>;
  readiness(): { ready: number; total: number };
  readonly ready: boolean;
  /** The model for a generation request, or an HttpError 503 while it loads (or after it failed to). */
  require(): LoadedModel;
  /** Sequences waiting for a worker, and held by one (the live gauges). */
  readonly waiting: number;
  readonly running: number;
  /** Ends every sequence still running at once (a drain that ran out of time). */
  terminate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The served model: the worker pool starts loading at once, while the main thread reads the config and the
 * tokenizer; routes ask for it and get 503 until every worker has loaded it.
 */
export class ModelService implements ServedModel {
  /** The model directory's name. */
  readonly name: string;
  private readonly pool: WorkerPool;
  private readonly scheduler: Scheduler;
  readonly loaded: Promise<void>;
  private host?: { config: ModelConfig; tokenizer: Tokenizer };
  private failure?: Error;

  constructor(options: ModelOptions, metrics: SchedulerMetrics, log: FastifyBaseLogger) {
    this.name = basename(resolve(options.modelDir));
    this.pool = new WorkerPool(
      options.workers,
      {
        modelDir: options.modelDir,
        provider: options.provider,
        intraOpThreads: options.intraOpThreads,
        maxBatchSize: options.maxBatchSize,
        maxModelLen: options.maxModelLen,
        prefillChunkTokens: options.prefillChunkTokens,
      },
      metrics,
      log,
      { deviceIds: options.deviceIds, isolation: options.isolation },
    );
    this.scheduler = new Scheduler(this.pool, options.maxBatchSize, metrics);
    const host = Promise.all([
      readModelConfig(options.modelDir, options.maxModelLen),
      loadTokenizer(options.modelDir),
    ]).then(([config, tokenizer]) => {
      this.host = { config, tokenizer };
    });
    this.loaded = Promise.all([host, this.pool.ready()]).then(
      () => undefined,
      (err: Error) => {
        this.failure = err;
        throw err;
      },
    );
    // Callers observe failures through `loaded` or the health routes; an unobserved rejection must not crash.
    this.loaded.catch(() => {});
  }

  readiness(): { ready: number; total: number } {
    return { ready: this.host ? this.pool.readyCount : 0, total: this.pool.size };
  }

  get ready(): boolean {
    const { ready, total } = this.readiness();
    return ready === total;
  }

  require(): LoadedModel {
    if (this.host && this.ready) return { ...this.host, scheduler: this.scheduler };
    if (this.failure)
      throw new HttpError(503, 'ServiceUnavailable', `the model failed to load: ${this.failure.message}`);
    const { ready, total } = this.readiness();
    throw new HttpError(
      503,
      'ServiceUnavailable',
      `the model is loading (${ready} of ${total} workers ready)`,
      undefined,
      { 'retry-after': '5' },
    );
  }

  get waiting(): number {
    return this.scheduler.waiting;
  }

  get running(): number {
    return this.scheduler.running;
  }

  terminate(): Promise<void> {
    return this.pool.terminate();
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The model a request needs, or 503: none configured (an app that only documents its routes), loading, failed. */
export function requireModel(service: ServedModel | undefined): LoadedModel {
  if (service === undefined) throw new HttpError(503, 'ServiceUnavailable', 'no model is configured');
  return service.require();
}
