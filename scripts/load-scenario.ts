import type { BenchRoute } from '../src/bench/generation-request.js';

/** One scenario of test/load/scenario.json: what the k6 scripts run and `npm run load` replays. */
export interface LoadScenario {
  route: BenchRoute;
  /** Requests per second at the start; each stage ramps linearly to its target over its seconds. */
  startRate: number;
  stages: { seconds: number; target: number }[];
  preAllocatedVUs: number;
  maxVUs: number;
  promptTokens: number;
  maxNewTokens: number;
  p95LatencyMs: number;
  p95FirstTokenMs?: number;
  maxErrorRate: number;
  /** Clients bench uses in place of k6's arrival rate. */
  benchConcurrency: number;
}
