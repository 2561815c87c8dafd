/** What the scheduler and the pool report as they work; the server's Prometheus metrics implement it. */
export interface SchedulerMetrics {
  /** Seconds from a sequence entering the queue to its first generated token. */
  firstToken(seconds: number): void;
  /** Seconds between two consecutive tokens of one sequence. */
  interToken(seconds: number): void;
  /** A sequence ended: its queue time (main queue + worker queue) and token counts. */
  sequenceDone(stats: { queueSeconds: number; promptTokens: number; generatedTokens: number }): void;
  /** A worker ran a decode step with this many sequences while `waiting` waited for a slot. */
  step(worker: number, batchSize: number, waiting: number): void;
  workerRestarted(worker: number): void;
}
