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
  addHistogram,
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

/** One burst of requests: what came of each, its wall time, and what the server's histograms saw during it. */
export interface Phase {
  outcomes: RequestOutcome[];
  elapsedMs: number;
  /** Each histogram family's observations during the phase; undefined when the server has no readable /metrics. */
  histograms?: Map<string, Histogram>;
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

function histogramsBetween(
  before: Map<string, Histogram> | undefined,
  after: Map<string, Histogram> | undefined,
): Map<string, Histogram> | undefined {
  if (!after) return undefined;
  return new Map([...after].map(([name, latest]) => [name, subtractHistogram(latest, before?.get(name))]));
}

/** Whether the server streams OpenAI completions: one 1-token request, which also warms the route up. */
async function streamingRouteAvailable(client: BenchClient): Promise<boolean> {
  const response = await client.post(ROUTE_PATHS.completions, requestBody('completions', 'hello', 1));
  await response.body.dump();
  return response.status === 200;
}

export type LoadTargetOptions = Pick<
  BenchOptions,
  'url' | 'route' | 'promptTokens' | 'maxNewTokens' | 'timeoutS' | 'apiKey'
> & {
  /** Most clients any phase will run at once (the connection pool's size). */
  connections: number;
};

/**
 * A server, its route and the prompt, settled once, so that a benchmark can send several phases of
 * requests (at different concurrencies, between other measurements) and summarise them together.
 */
export class LoadTarget {
  readonly route: BenchRoute;
  readonly prompt: BenchPrompt;
  readonly options: LoadTargetOptions;
  private readonly client: BenchClient;

  private constructor(
    options: LoadTargetOptions,
    client: BenchClient,
    route: BenchRoute,
    prompt: BenchPrompt,
  ) {
    this.options = options;
    this.client = client;
    this.route = route;
    this.prompt = prompt;
  }

  static async open(options: LoadTargetOptions): Promise<LoadTarget> {
    const client = new BenchClient(options.url, options.connections, options.timeoutS * 1000, options.apiKey);
    try {
      const route =
        options.route === 'auto'
          ? (await streamingRouteAvailable(client))
            ? 'completions'
            : 'score'
          : options.route;
      const prompt = await buildPrompt(options.promptTokens, serverTokenCounter(client));
      return new LoadTarget(options, client, route, prompt);
    } catch (err) {
      await client.close();
      throw err;
    }
  }

  /**
   * `concurrency` clients, each sending its next request as soon as its last is answered, until `requests`
   * have been sent or `durationS` has passed.
   */
  async phase(concurrency: number, requests: number, durationS = Infinity): Promise<Phase> {
    const before = await scrapeHistograms(this.client);
    const started = performance.now();
    const deadline = started + durationS * 1000;
    const outcomes: RequestOutcome[] = [];
    let issued = 0;
    const clientLoop = async () => {
      while (issued < requests && performance.now() < deadline) {
        issued++;
        outcomes.push(
          await sendGeneration(this.client, this.route, this.prompt.text, this.options.maxNewTokens),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, clientLoop));
    const elapsedMs = performance.now() - started;
    return {
      outcomes,
      elapsedMs,
      histograms: histogramsBetween(before, await scrapeHistograms(this.client)),
    };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

const TTFT_METRIC = /time_to_first_token/;
const ITL_METRIC = /inter_token|time_per_output_token/;
const BATCH_SIZE_METRIC = /batch_size/;

/** A histogram family summed over the phases; undefined where any phase lacks /metrics or the family. */
function phasesSummary(
  phases: readonly Phase[],
  pattern: RegExp,
  scale?: number,
): LatencySummary | undefined {
  let total: Histogram | undefined;
  for (const phase of phases) {
    const observed = phase.histograms && findHistogram(phase.histograms, pattern);
    if (!observed) return undefined;
    total = total ? addHistogram(total, observed) : observed;
  }
  return total && histogramSummary(total, scale);
}

/** The phases as one run: their requests together, their wall times added. */
export function summarizePhases(
  target: LoadTarget,
  concurrency: number,
  phases: readonly Phase[],
): BenchResult {
  const outcomes = phases.flatMap((phase) => phase.outcomes);
  const ok = outcomes.filter((o): o is Extract<RequestOutcome, { ok: true }> => o.ok);
  const errors: Record<string, number> = {};
  for (const outcome of outcomes) if (!outcome.ok) errors[outcome.error] = (errors[outcome.error] ?? 0) + 1;
  const generatedTokens = ok.reduce((sum, o) => sum + o.generatedTokens, 0);
  const elapsedS = phases.reduce((sum, phase) => sum + phase.elapsedMs, 0) / 1000;
  let timings: Pick<BenchResult, 'ttftMs' | 'interTokenMs' | 'timingsFrom'>;
  if (target.route === 'completions') {
    timings = {
      ttftMs: summarize(ok.flatMap((o) => (o.firstTokenMs === undefined ? [] : [o.firstTokenMs]))),
      interTokenMs: summarize(ok.flatMap((o) => o.tokenGapsMs)),
      timingsFrom: 'stream',
    };
  } else {
    const ttftMs = phasesSummary(phases, TTFT_METRIC);
    const interTokenMs = phasesSummary(phases, ITL_METRIC);
    timings = { ttftMs, interTokenMs, timingsFrom: ttftMs || interTokenMs ? 'metrics' : 'unavailable' };
  }
  return {
    url: target.options.url.href,
    route: target.route,
    concurrency,
    maxNewTokens: target.options.maxNewTokens,
    prompt: { tokens: target.prompt.tokens, checkedBy: target.prompt.checkedBy },
    requests: { sent: outcomes.length, ok: ok.length, failed: outcomes.length - ok.length },
    errors,
    elapsedS,
    generatedTokens,
    tokensCountedFrom: ok.length > 0 && ok.every((o) => o.countedFromUsage) ? 'usage' : 'max_new_tokens',
    generatedTokensPerS: elapsedS > 0 ? generatedTokens / elapsedS : 0,
    latencyMs: summarize(ok.map((o) => o.latencyMs)),
    ...timings,
    meanBatchSize: phasesSummary(phases, BATCH_SIZE_METRIC, 1)?.mean,
  };
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const target = await LoadTarget.open({ ...options, connections: options.concurrency });
  try {
    if (options.warmupRequests > 0)
      await target.phase(options.concurrency, options.warmupRequests, options.durationS);
    const phase = await target.phase(options.concurrency, options.requests, options.durationS);
    return summarizePhases(target, options.concurrency, [phase]);
  } finally {
    await target.close();
  }
}
