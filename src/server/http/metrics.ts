import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SchedulerMetrics } from '../../scheduler/scheduler-metrics.js';

/** Token latencies on CPU run from ~1 ms (tiny models) to seconds (13B); buckets cover both ends. */
const TOKEN_LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5,
];
/** Time to first token and queue time include prefill and waiting: up to the 90 s request timeout. */
const WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 90];
const REQUEST_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 90, 120];
const BATCH_BUCKETS = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64];

export interface LiveCounts {
  inFlight(): number;
  running(): number;
  waiting(): number;
}

/** The server's Prometheus families (README, "Metrics"), in a registry of this server's own (tests run several at once). */
export class ServerMetrics implements SchedulerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'llama_endpoint_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly timeToFirstToken = new Histogram({
    name: 'llama_endpoint_time_to_first_token_seconds',
    help: 'From a sequence entering the queue to its first generated token',
    buckets: WAIT_BUCKETS,
    registers: [this.registry],
  });
  private readonly interTokenLatency = new Histogram({
    name: 'llama_endpoint_inter_token_latency_seconds',
    help: 'Between two consecutive generated tokens of one sequence',
    buckets: TOKEN_LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly requestLatency = new Histogram({
    name: 'llama_endpoint_e2e_request_latency_seconds',
    help: 'Generation requests from arrival to answer',
    labelNames: ['route'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  private readonly queueTime = new Histogram({
    name: 'llama_endpoint_request_queue_time_seconds',
    help: 'Time a sequence waited for a batch slot (main queue + worker queue)',
    buckets: WAIT_BUCKETS,
    registers: [this.registry],
  });
  private readonly promptTokens = new Counter({
    name: 'llama_endpoint_prompt_tokens_total',
    help: 'Prompt tokens processed',
    registers: [this.registry],
  });
  private readonly generatedTokens = new Counter({
    name: 'llama_endpoint_generation_tokens_total',
    help: 'Tokens generated',
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'llama_endpoint_batch_size',
    help: 'Sequences in each decode step, by worker',
    labelNames: ['worker'] as const,
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  private readonly workerWaiting = new Gauge({
    name: 'llama_endpoint_worker_waiting_sequences',
    help: 'Sequences waiting inside each worker for a batch slot, as of its last decode step',
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });
  private readonly workerRestarts = new Counter({
    name: 'llama_endpoint_worker_restarts_total',
    help: 'Worker threads that died and were replaced',
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });

  /** Gauges read when scraped, so they are never stale. */
  watch(counts: LiveCounts): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge(
      'llama_endpoint_requests_in_flight',
      'Admitted generation requests (running + queued)',
      counts.inFlight,
    );
    gauge('llama_endpoint_requests_running', 'Sequences held by a worker', counts.running);
    gauge('llama_endpoint_requests_waiting', 'Sequences queued for a worker slot', counts.waiting);
  }

  request(route: string, method: string, status: number): void {
    this.requests.inc({ route, method, status: String(status) });
  }

  generationRequest(route: string, seconds: number): void {
    this.requestLatency.observe({ route }, seconds);
  }

  firstToken(seconds: number): void {
    this.timeToFirstToken.observe(seconds);
  }

  interToken(seconds: number): void {
    this.interTokenLatency.observe(seconds);
  }

  sequenceDone(stats: { queueSeconds: number; promptTokens: number; generatedTokens: number }): void {
    this.queueTime.observe(stats.queueSeconds);
    this.promptTokens.inc(stats.promptTokens);
    this.generatedTokens.inc(stats.generatedTokens);
  }

  step(worker: number, batchSize: number, waiting: number): void {
    this.batchSize.observe({ worker: String(worker) }, batchSize);
    this.workerWaiting.set({ worker: String(worker) }, waiting);
  }

  workerRestarted(worker: number): void {
    this.workerRestarts.inc({ worker: String(worker) });
  }
}
