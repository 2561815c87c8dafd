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
  /** Present when the duration limit stopped the run before every request asked for was sent. */
  cutShort?: { durationS: number; requestsAsked: number };
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
  requestsAsked: number;
  durationS: number;
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

/** The status of one 1-token request to the route, which also warms it up. */
async function probeRoute(client: BenchClient, route: BenchRoute): Promise<number> {
  const response = await client.post(ROUTE_PATHS[route], requestBody(route, 'hello', 1));
  await response.body.dump();
  return response.status;
}

/**
 * A run the server refuses as set up: every request would fail the same way, so the bench stops before
 * sending them and says why (the CLI reports it as a usage error).
 */
export class BenchRefused extends Error {
  override name = 'BenchRefused';
}

/** A keyed server answers 401 (403 behind some gateways): the run needs the right --api-key, not a fallback. */
function refuseUnauthorized(status: number, route: BenchRoute, apiKey: string | undefined): void {
  if (status !== 401 && status !== 403) return;
  const where = `${status} on POST ${ROUTE_PATHS[route]}`;
  throw new BenchRefused(
    apiKey === undefined
      ? `the server needs an API key (${where}); pass it with --api-key`
      : `the server refused the key given with --api-key (${where})`,
  );
}

/** 'auto': the streaming OpenAI route when the server answers it, else /score; refused when unauthorized. */
async function chooseRoute(client: BenchClient, options: LoadTargetOptions): Promise<BenchRoute> {
  if (options.route === 'auto') {
    const status = await probeRoute(client, 'completions');
    refuseUnauthorized(status, 'completions', options.apiKey);
    if (status === 200) return 'completions';
  }
  const route = options.route === 'auto' ? 'score' : options.route;
  refuseUnauthorized(await probeRoute(client, route), route, options.apiKey);
  return route;
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
      const route = await chooseRoute(client, options);
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
      requestsAsked: requests,
      durationS,
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
  const cut = phases.find((phase) => phase.outcomes.length < phase.requestsAsked);
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
    ...(cut && {
      cutShort: {
        durationS: cut.durationS,
        requestsAsked: phases.reduce((sum, phase) => sum + phase.requestsAsked, 0),
      },
    }),
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
