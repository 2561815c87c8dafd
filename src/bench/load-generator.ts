/**
 * The load generator behind `llama-endpoint bench`: a fixed number of clients, each sending its next request
 * as soon as its last one is answered, until the request count or the duration runs out.
 */
import { performance } from 'node:perf_hooks';
import {
  type BenchRoute,
  type RequestOutcome,
  ROUTE_PATHS,
  requestBody,
  sendGeneration,
} from './generation-request.js';
import { BenchClient } from './http-client.js';
import { type LatencySummary, summarize } from './percentiles.js';
import {
  findHistogram,
  type Histogram,
  histogramSummary,
  parseHistograms,
  subtractHistogram,
} from './prometheus-histogram.js';
import { type BenchPrompt, buildPrompt, serverTokenCounter } from './prompt.js';

export interface BenchOptions {
  url: URL;
  /** 'auto': the streaming OpenAI route when the server answers it, else /score. */
  route: BenchRoute | 'auto';
  concurrency: number;
  /** Most measured requests. */
  requests: number;
  /** No request starts after this many seconds; those running finish (each within timeoutS). */
  durationS: number;
  promptTokens: number;
  maxNewTokens: number;
  /** Per request. */
  timeoutS: number;
  /** Requests sent (at the same concurrency) and discarded before measuring: session warm-up, first allocations. */
  warmupRequests: number;
  apiKey?: string;
}

export interface BenchResult {
  url: string;
  route: BenchRoute;
  concurrency: number;
  maxNewTokens: number;
  prompt: Omit<BenchPrompt, 'text'>;
  requests: { sent: number; ok: number; failed: number };
  /** Failed requests by HTTP status, 'timeout', or network error code. */
  errors: Record<string, number>;
  /** Wall time of the measured requests, first sent to last answered. */
  elapsedS: number;
  generatedTokens: number;
  tokensCountedFrom: 'usage' | 'max_new_tokens';
  generatedTokensPerS: number;
  /** Successful requests, sent to fully answered. */
  latencyMs?: LatencySummary;
  ttftMs?: LatencySummary;
  interTokenMs?: LatencySummary;
  /** Where TTFT and inter-token latency come from: the client's view of the stream, or the server's histograms. */
  timingsFrom: 'stream' | 'metrics' | 'unavailable';
  /** Sequences per decode step during the run, from the server's batch-size histogram where it has one. */
  meanBatchSize?: number;
}

interface Phase {
  outcomes: RequestOutcome[];
  elapsedMs: number;
}

async function runPhase(
  client: BenchClient,
  options: BenchOptions,
  route: BenchRoute,
  prompt: string,
  requests: number,
): Promise<Phase> {
  const started = performance.now();
  const deadline = started + options.durationS * 1000;
  const outcomes: RequestOutcome[] = [];
  let issued = 0;
  const clientLoop = async () => {
    while (issued < requests && performance.now() < deadline) {
      issued++;
      outcomes.push(await sendGeneration(client, route, prompt, options.maxNewTokens));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, requests) }, clientLoop));
  return { outcomes, elapsedMs: performance.now() - started };
}

/** Whether the server streams OpenAI completions: one 1-token request, which also warms the route up. */
async function streamingRouteAvailable(client: BenchClient): Promise<boolean> {
  const response = await client.post(ROUTE_PATHS.completions, requestBody('completions', 'hello', 1));
  await response.body.dump();
  return response.status === 200;
}

/** The server's histograms now, or undefined when it has no readable /metrics (they are extras, not the run). */
async function scrapeHistograms(client: BenchClient): Promise<Map<string, Histogram> | undefined> {
  try {
    const response = await client.get('/metrics');
    const text = await response.body.text();
    return response.status === 200 ? parseHistograms(text) : undefined;
  } catch {
    return undefined;
  }
}

const TTFT_METRIC = /time_to_first_token/;
const ITL_METRIC = /inter_token|time_per_output_token/;
const BATCH_SIZE_METRIC = /batch_size/;

function metricsSummary(
  before: Map<string, Histogram> | undefined,
  after: Map<string, Histogram> | undefined,
  pattern: RegExp,
  scale?: number,
): LatencySummary | undefined {
  const latest = after && findHistogram(after, pattern);
  if (!latest) return undefined;
  return histogramSummary(subtractHistogram(latest, before?.get(latest.name)), scale);
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const client = new BenchClient(options.url, options.concurrency, options.timeoutS * 1000, options.apiKey);
  try {
    const route =
      options.route === 'auto'
        ? (await streamingRouteAvailable(client))
          ? 'completions'
          : 'score'
        : options.route;
    const prompt = await buildPrompt(options.promptTokens, serverTokenCounter(client));
    if (options.warmupRequests > 0)
      await runPhase(client, options, route, prompt.text, options.warmupRequests);
    const metricsBefore = await scrapeHistograms(client);
    const phase = await runPhase(client, options, route, prompt.text, options.requests);
    const metricsAfter = await scrapeHistograms(client);

    const ok = phase.outcomes.filter((o): o is Extract<RequestOutcome, { ok: true }> => o.ok);
    const errors: Record<string, number> = {};
    for (const outcome of phase.outcomes)
      if (!outcome.ok) errors[outcome.error] = (errors[outcome.error] ?? 0) + 1;
    const generatedTokens = ok.reduce((sum, o) => sum + o.generatedTokens, 0);
    const elapsedS = phase.elapsedMs / 1000;
    let timings: Pick<BenchResult, 'ttftMs' | 'interTokenMs' | 'timingsFrom'>;
    if (route === 'completions') {
      timings = {
        ttftMs: summarize(ok.flatMap((o) => (o.firstTokenMs === undefined ? [] : [o.firstTokenMs]))),
        interTokenMs: summarize(ok.flatMap((o) => o.tokenGapsMs)),
        timingsFrom: 'stream',
      };
    } else {
      const ttftMs = metricsSummary(metricsBefore, metricsAfter, TTFT_METRIC);
      const interTokenMs = metricsSummary(metricsBefore, metricsAfter, ITL_METRIC);
      timings = { ttftMs, interTokenMs, timingsFrom: ttftMs || interTokenMs ? 'metrics' : 'unavailable' };
    }
    return {
      url: options.url.href,
      route,
      concurrency: options.concurrency,
      maxNewTokens: options.maxNewTokens,
      prompt: { tokens: prompt.tokens, checkedBy: prompt.checkedBy },
      requests: { sent: phase.outcomes.length, ok: ok.length, failed: phase.outcomes.length - ok.length },
      errors,
      elapsedS,
      generatedTokens,
      tokensCountedFrom: ok.length > 0 && ok.every((o) => o.countedFromUsage) ? 'usage' : 'max_new_tokens',
      generatedTokensPerS: elapsedS > 0 ? generatedTokens / elapsedS : 0,
      latencyMs: summarize(ok.map((o) => o.latencyMs)),
      ...timings,
      meanBatchSize: metricsSummary(metricsBefore, metricsAfter, BATCH_SIZE_METRIC, 1)?.mean,
    };
  } finally {
    await client.close();
  }
}
