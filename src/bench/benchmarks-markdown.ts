/** BENCHMARKS.md as `npm run bench` writes it: the workload, the machine, every figure and how to reproduce it. */
import type { BenchRoute } from './generation-request.js';
import type { BenchResult } from './load-generator.js';
import { type LatencySummary, median } from './percentiles.js';

/** A decode loop's shape: rows, the prompt they were prefilled with, and the steps timed after it. */
export interface StepShape {
  batch: number;
  promptTokens: number;
  decodeSteps: number;
}

/** One graph and KV cache variant's ms per decode step at each of `BenchmarkRun.stepShapes`. */
export interface StepTimeRow {
  variant: string;
  msPerStep: number[];
}

/** One interleaved round: every figure measured once, back to back, in tokens/s. */
export interface BenchRound {
  /** (a) the bare loop at batch 1: a few repetitions, their decode steps over their decode time. */
  ceiling: number;
  /** The same loop with as many rows as (c) has clients: a reference, not a target. */
  batchedCeiling: number;
  /** (b) one client, a few requests, per route. */
  single: Record<BenchRoute, number>;
  /** (c) the concurrent clients, a few requests each, per route. */
  concurrent: Record<BenchRoute, number>;
}

export interface BenchmarkRun {
  /** ISO date and time of the run. */
  date: string;
  command: string;
  machine: {
    cpuModel: string;
    cores: number;
    /** Share of CPU time other work took just before the run: it makes every figure noisier. */
    busyBeforeRun: number;
    memoryGiB: number;
    os: string;
    node: string;
    onnxruntime: string;
  };
  model: {
    dir: string;
    preset: string;
    /** config.json fields worth naming: hidden_size, num_hidden_layers, … */
    shape: Record<string, unknown>;
    /** model.onnx plus any external weights. */
    sizeMiB: number;
  };
  server: { workers: number; intraOpThreads: number; maxBatchSize: number };
  concurrency: number;
  decodeSteps: number;
  /** The prompt's length in tokens and its prefill time in the bare loop (ms, batch 1, median of the rounds). */
  prompt: { tokens: number; prefillMs: number };
  /** Per round: repetitions of (a); requests per route of (b), one after another, and of (c), spread over the clients. */
  perRound: { ceiling: number; single: number; concurrent: number };
  /** Requests sent per route before the rounds, at each concurrency, and not counted. */
  warmupRequests: { single: number; concurrent: number };
  rounds: BenchRound[];
  /** Each route's (b) and (c) requests over all rounds, as one result (latencies, errors, batch size). */
  routes: Record<BenchRoute, { single: BenchResult; concurrent: BenchResult }>;
  stepShapes: StepShape[];
  /** Rounds of the step-time measurement (each variant and shape once per round); the table has their medians. */
  stepRounds: number;
  stepTimes: StepTimeRow[];
  /** The server process's resident memory (MiB), sampled through the rounds; empty where it cannot be read. */
  serverRssMiB: number[];
}

/** The two ratios the acceptance criteria name, with their targets. */
export const TARGETS = { singleOverCeiling: 0.9, concurrentOverSingle: 5 };

export const ROUTES: readonly BenchRoute[] = ['score', 'completions'];

/** b/a and c/b of one round on one route: figures taken seconds apart, so drift moves them together. */
export function roundRatios(round: BenchRound, route: BenchRoute) {
  return {
    singleOverCeiling: round.single[route] / round.ceiling,
    concurrentOverSingle: round.concurrent[route] / round.single[route],
  };
}

/** Each figure's median over the rounds. */
export function medianFigures(rounds: readonly BenchRound[]) {
  const of = (pick: (round: BenchRound) => number) => median(rounds.map(pick));
  const perRoute = (pick: (round: BenchRound, route: BenchRoute) => number) =>
    Object.fromEntries(ROUTES.map((route) => [route, of((round) => pick(round, route))])) as Record<
      BenchRoute,
      number
    >;
  return {
    ceiling: of((round) => round.ceiling),
    batchedCeiling: of((round) => round.batchedCeiling),
    single: perRoute((round, route) => round.single[route]),
    concurrent: perRoute((round, route) => round.concurrent[route]),
  };
}

/** The per-round ratios of one route: their median (what the acceptance judges), least and greatest. */
export function ratioSpread(rounds: readonly BenchRound[], route: BenchRoute) {
  const spread = (values: number[]) => ({
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
  });
  const each = rounds.map((round) => roundRatios(round, route));
  return {
    singleOverCeiling: spread(each.map((r) => r.singleOverCeiling)),
    concurrentOverSingle: spread(each.map((r) => r.concurrentOverSingle)),
  };
}

const rate = (tokensPerS: number) => `${tokensPerS.toFixed(1)} tokens/s`;
const verdict = (value: number, target: number) => (value >= target ? 'met' : '**not met**');

function latencyCells(summary: LatencySummary | undefined): string {
  return summary ? [summary.p50, summary.p90, summary.p99].map((v) => v.toFixed(1)).join(' | ') : '– | – | –';
}

function errorsText(result: BenchResult): string {
  const entries = Object.entries(result.errors);
  return entries.length === 0 ? 'none' : entries.map(([key, count]) => `${key}: ${count}`).join(', ');
}

function stepTimesTable(run: BenchmarkRun): string {
  const header = run.stepShapes.map(
    (shape) =>
      `batch ${shape.batch}, context ${shape.promptTokens} → ${shape.promptTokens + shape.decodeSteps}`,
  );
  const rows = run.stepTimes.map(
    (row) => `| ${row.variant} | ${row.msPerStep.map((ms) => ms.toFixed(1)).join(' | ')} |`,
  );
  return [
    `| graph and KV cache | ${header.join(' | ')} |`,
    `| --- |${' --- |'.repeat(header.length)}`,
    ...rows,
  ].join('\n');
}

/** What the served variant's step times say about c/b: 16 rows cost more than one because they are arithmetic-bound. */
function batchingBound(run: BenchmarkRun): string {
  const served = run.stepTimes.at(-1);
  const [one, many] = [served?.msPerStep[0], served?.msPerStep[1]];
  const [shapeOne, shapeMany] = [run.stepShapes[0], run.stepShapes[1]];
  if (!served || one === undefined || many === undefined || !shapeOne || !shapeMany) return '';
  const gain = (shapeMany.batch / many) * (one / shapeOne.batch);
  return (
    `**What bounds c/b here.** With the served graph a step of ${shapeMany.batch} rows costs ${(many / one).toFixed(1)}× a step ` +
    `of ${shapeOne.batch} (${many.toFixed(1)} vs ${one.toFixed(1)} ms), so batching multiplies the bare rate by at most ` +
    `${gain.toFixed(1)}: at batch 1 a step is bound by reading the weights, at batch ${shapeMany.batch} by multiplying them ` +
    "(the weight matrix products are most of the step). On top of that (c) prefills every joining request's prompt, " +
    `compute-bound as well (${run.prompt.prefillMs.toFixed(1)} ms for ${run.prompt.tokens} tokens, against ` +
    `${many.toFixed(1)} ms for a step that gives ${shapeMany.batch} tokens), and streams ${shapeMany.batch} clients over HTTP ` +
    'from the same cores that run the model.'
  );
}

/** What keeps b/a under 1 even for a server that added nothing per step: each request's prefill. */
function singleStreamBound(run: BenchmarkRun): string {
  const ceiling = medianFigures(run.rounds).ceiling;
  const stepMs = 1000 / ceiling;
  const { prefillMs, tokens } = run.prompt;
  const steps = run.decodeSteps;
  // The prefill gives the first token; the other steps - 1 come from decode steps at the bare rate.
  const bound = (steps * stepMs) / (prefillMs + (steps - 1) * stepMs);
  return (
    `**What bounds b/a here.** (b) counts whole requests: each prefills its ${tokens}-token prompt ` +
    `(${prefillMs.toFixed(1)} ms, which gives the first token) before its ${steps - 1} decode steps, so a server that ` +
    `added nothing per step would reach b/a = ${bound.toFixed(3)} (decode steps at the bare ${stepMs.toFixed(2)} ms). ` +
    "The rest is the server's own work per step (sampling, detokenizing, the batching loop) and per request " +
    '(HTTP, validation, tokenizing), on the cores the model runs on. `/score` answers once at the end, so its ' +
    'worker sends no message per step; a stream sends one per token to the main thread and writes one HTTP chunk per ' +
    'token to the client, which also runs on this machine: each of those wakes a thread that takes a core from ' +
    "ONNX Runtime's threads in the middle of a step, which is why the stream's b/a is the lower."
  );
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

function memoryText(samples: number[], tokens: number): string {
  if (samples.length < 4)
    return 'Resident memory could not be read on this system (it is read from `/proc`).';
  const quarter = Math.floor(samples.length / 4);
  const [second, last] = [mean(samples.slice(quarter, 2 * quarter)), mean(samples.slice(-quarter))];
  return (
    `The server process's resident memory (main thread and worker together), read every 250 ms from the warm-up ` +
    `requests (which fill the batch and touch the KV cache's pages) through every round: ${tokens} generated tokens. ` +
    `Mean of the second quarter of the samples ${second.toFixed(0)} MiB, of the last quarter ${last.toFixed(0)} MiB ` +
    `(${last - second >= 0 ? '+' : ''}${(last - second).toFixed(0)} MiB); min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)}. ` +
    'The KV cache is allocated once per worker and written in place; what moves is the garbage-collected heap. ' +
    `All samples (MiB): ${samples.map((mib) => mib.toFixed(0)).join(', ')}.`
  );
}

function loadRow(label: string, result: BenchResult): string {
  const cells = [
    label,
    `${result.requests.ok}/${result.requests.sent}`,
    errorsText(result),
    latencyCells(result.latencyMs),
    latencyCells(result.ttftMs),
    latencyCells(result.interTokenMs),
    result.meanBatchSize?.toFixed(1) ?? '–',
  ];
  return `| ${cells.join(' | ')} |`;
}

const ROUTE_NAMES: Record<BenchRoute, string> = {
  score: '`POST /score` (Azure ML, one answer at the end)',
  completions: '`POST /v1/completions` with `stream: true` (OpenAI, streamed)',
};
const ROUTE_SHORT: Record<BenchRoute, string> = { score: '/score', completions: 'stream' };

function ratioCell(
  spread: { median: number; min: number; max: number },
  target: number,
  digits: number,
): string {
  return (
    `**${spread.median.toFixed(digits)}** (${spread.min.toFixed(digits)}–${spread.max.toFixed(digits)}): ` +
    verdict(spread.median, target)
  );
}

function roundsTable(run: BenchmarkRun): string {
  const header = [
    'round',
    '(a)',
    `batch ${run.concurrency}`,
    ...ROUTES.flatMap((route) =>
      ['(b)', '(c)', 'b/a', 'c/b'].map((figure) => `${figure} ${ROUTE_SHORT[route]}`),
    ),
  ];
  const rows = run.rounds.map((round, index) => {
    const cells = [
      String(index + 1),
      round.ceiling.toFixed(1),
      round.batchedCeiling.toFixed(1),
      ...ROUTES.flatMap((route) => {
        const r = roundRatios(round, route);
        return [
          round.single[route].toFixed(1),
          round.concurrent[route].toFixed(1),
          r.singleOverCeiling.toFixed(3),
          r.concurrentOverSingle.toFixed(2),
        ];
      }),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [`| ${header.join(' | ')} |`, `|${' --- |'.repeat(header.length)}`, ...rows].join('\n');
}

export function renderBenchmarksMarkdown(run: BenchmarkRun): string {
  const { machine, model, server, routes, concurrency } = run;
  const figures = medianFigures(run.rounds);
  const batchGain = figures.batchedCeiling / figures.ceiling;
  const spreads = Object.fromEntries(
    ROUTES.map((route) => [route, ratioSpread(run.rounds, route)]),
  ) as Record<BenchRoute, ReturnType<typeof ratioSpread>>;
  const { completions } = routes;
  const promptCheck =
    completions.single.prompt.checkedBy === 'tokenize'
      ? "counted by the server's `POST /tokenize`"
      : 'assumed one token per word: the server has no `POST /tokenize`';
  const shape = Object.entries(model.shape)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
  const perRoute = (pick: (route: BenchRoute) => string) => ROUTES.map(pick).join(' | ');
  const scoreTimings =
    routes.score.single.timingsFrom === 'metrics'
      ? "For `/score`, which answers once at the end, TTFT and inter-token latency are the server's `/metrics` histograms over the same requests (quantiles interpolated inside buckets as PromQL's `histogram_quantile` does, so they are only as fine as the buckets)."
      : 'For `/score`, which answers once at the end, there is no TTFT or inter-token latency to measure.';
  const totalTokens = ROUTES.reduce(
    (sum, route) => sum + routes[route].single.generatedTokens + routes[route].concurrent.generatedTokens,
    0,
  );
  return `# Benchmarks

Written by \`npm run bench\` (\`scripts/bench.ts\`) on ${run.date}. Reproduce with one command from a built checkout:

\`\`\`sh
${run.command}
\`\`\`

It creates the \`${model.preset}\` model under \`${model.dir}\` if it is missing, starts \`llama-endpoint serve\` on a free
loopback port and opens a bare ONNX Runtime session on the same model in the benchmark's own process, then measures
in **${run.rounds.length} interleaved rounds**: each round takes every figure once, back to back, within seconds, so a machine
whose speed drifts (this one moves by ±15% within seconds) moves a round's (a), (b) and (c) together. The ratios
b/a and c/b are taken **within each round**; their median over the rounds is what the acceptance criteria judge,
and the least and greatest round show the spread. Figures vary from run to run and machine to machine.

## Result

Both routes are measured in every round. \`/score\` is the Azure ML contract, the product's main route;
the streaming \`/v1/completions\` is where TTFT and inter-token latency come from.

| figure (median of ${run.rounds.length} rounds) | ${perRoute((route) => ROUTE_NAMES[route])} |
| --- | --- | --- |
| (a) bare ONNX Runtime decode ceiling, batch 1 (no server; the same for both) | ${perRoute(() => rate(figures.ceiling))} |
| (b) server, one client | ${perRoute((route) => rate(figures.single[route]))} |
| (c) server, ${concurrency} concurrent clients | ${perRoute((route) => rate(figures.concurrent[route]))} |
| **b/a** per round, median (least–greatest); target ≥ ${TARGETS.singleOverCeiling.toFixed(2)} | ${perRoute((route) => ratioCell(spreads[route].singleOverCeiling, TARGETS.singleOverCeiling, 3))} |
| **c/b** per round, median (least–greatest); target ≥ ${TARGETS.concurrentOverSingle} | ${perRoute((route) => ratioCell(spreads[route].concurrentOverSingle, TARGETS.concurrentOverSingle, 2))} |

Reference: the bare loop at batch ${concurrency} (the same prompt in every row, decoded in step) gives ${rate(figures.batchedCeiling)},
${batchGain.toFixed(2)}× batch 1 (medians): about the most batching alone can add on this machine, so about the most c/b can reach.

### Every round (tokens/s)

${roundsTable(run)}

## Machine

| | |
| --- | --- |
| CPU | ${machine.cpuModel}, **${machine.cores} cores** (as \`os.availableParallelism()\` counts them; the targets are set for 2) |
| CPU busy just before the run | ${(machine.busyBeforeRun * 100).toFixed(0)}%${machine.busyBeforeRun > 0.1 ? ' (other work was running: figures are noisier than on an idle machine)' : ''} |
| memory | ${machine.memoryGiB.toFixed(1)} GiB |
| OS | ${machine.os} |
| Node.js | ${machine.node} |
| onnxruntime-node | ${machine.onnxruntime} (CPU execution provider) |

## Workload

- **Model**: the \`${model.preset}\` preset of \`llama-endpoint create-random\`: a Llama graph with the Optimum inputs of a real
  export (outputs: logits of the last position and this step's keys/values, the serving default) and seeded random weights (${shape}; ${model.sizeMiB.toFixed(0)} MiB of ONNX, read once per decode step). Random weights cost the same
  per step as trained ones of the same shape.
- **Prompt**: ${run.prompt.tokens} tokens, BOS included: "hello hello …", each "hello" one Llama-2 token (${promptCheck}).
- **Generation**: ${run.decodeSteps} new tokens per request, greedy, \`ignore_eos: true\` so every request generates
  exactly that many.
- **Server**: \`serve --workers ${server.workers} --intra-op-threads ${server.intraOpThreads} --max-batch-size ${server.maxBatchSize}\`
  (one worker thread, one ONNX Runtime session using every core), default logging.

## How each figure is measured

Before the rounds, each route gets ${run.warmupRequests.single} single-client and ${run.warmupRequests.concurrent} concurrent warm-up requests and the bare
session one untimed repetition at each batch size; none of them count. Each round then runs, in this order:
(c) on \`/score\`, (b) on \`/score\`, (a), (b) on the stream, (c) on the stream, the batch-${concurrency} reference, so (a) sits
next to both (b)s and each (b) next to its (c). The server is idle while (a) runs.

- **(a) decode ceiling**: \`src/bench/decode-ceiling.ts\`. One ONNX Runtime session on the same model with the
  session options of the server's worker (${server.intraOpThreads} intra-op threads, graph optimisation \`all\`) but one: its
  intra-op threads keep spinning between runs (ONNX Runtime's default, the fastest for a loop that has the cores to
  itself), where the server's stop when a run returns so as to leave the cores to its other threads. The
  ${run.prompt.tokens}-token prompt is prefilled (${run.prompt.prefillMs.toFixed(1)} ms); then a loop of
  ${run.decodeSteps} single-token \`session.run\` calls at batch 1 through the engine's own runner and KV cache (each step's
  new keys/values written into the cache in place, context ${run.prompt.tokens} → ${run.prompt.tokens + run.decodeSteps}), with no HTTP,
  no sampling and no detokenization: ${run.perRound.ceiling} repetitions per round, their decode steps over their decode time (about
  as long as a round's (b)). It counts decode steps only, not the prefill.
- **(b) single stream**: one client sends ${run.perRound.single} requests one after another per round and route; generated
  tokens/s = tokens generated ÷ wall time from the first request sent to the last answer. Unlike (a) it includes
  each request's prefill, queueing, sampling, detokenization and HTTP.
- **(c) aggregate**: ${concurrency} clients, each sending its next request as soon as its last is answered,
  ${run.perRound.concurrent} requests per round and route, same prompt and length; same formula.
  The server's continuous batching is what lets this exceed (b).
- **reference, bare decode at batch ${concurrency}**: the loop of (a) with ${concurrency} identical rows decoded together, one
  repetition per round. (c) additionally pays for prefills that join the batch and for HTTP to ${concurrency} clients.
- **b/a** is the share of the bare decode rate one stream gets through the whole server; **c/b** is what batching adds.
- Generated tokens: ${ROUTES.map((route) => `${ROUTE_SHORT[route]} ${routes[route].concurrent.tokensCountedFrom === 'usage' ? "from the server's `usage` in the final stream chunk" : 'as `max_new_tokens` per successful request (`ignore_eos` makes that exact)'}`).join('; ')}.

## Decode step time by graph and KV cache (ms per step)

The loop of (a) in ${run.stepRounds} rounds that take every variant and shape in turn (the median of the rounds, so
a machine whose speed drifts weighs on every variant alike), for the Optimum export's graph with the host cache
(the graph returns \`present.*\`, the whole cache, every step: ONNX Runtime concatenates it inside the graph and
onnxruntime-node copies it into a new buffer) and for the served graph with the slot cache (the graph returns only
the step's new keys/values, attention reads past and new keys as two blocks without concatenating, and the engine
writes the new ones into a per-worker cache in place); with plain ops and with the fused \`SimplifiedLayerNormalization\`/\`RotaryEmbedding\` kernels.

${stepTimesTable(run)}

${singleStreamBound(run)}

${batchingBound(run)}

## Memory

${memoryText(run.serverRssMiB, totalTokens)}

## Latency (ms) and errors

Each route's requests of every round, together. TTFT and inter-token latency come from the **streaming pass**
(\`/v1/completions\`, the stream rows), measured by the client on the stream: TTFT from sending the request to the first chunk with
text, inter-token latency between successive chunks with text. ${scoreTimings} Request latency is measured by the
client, sent to fully answered. Batch = mean sequences per decode step from the server's \`llama_endpoint_batch_size\` histogram.

| run | ok/sent | errors | latency p50 | p90 | p99 | TTFT p50 | p90 | p99 | inter-token p50 | p90 | p99 | batch |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${ROUTES.flatMap((route) => [
  loadRow(`(b) ${ROUTE_SHORT[route]}, 1 client`, routes[route].single),
  loadRow(`(c) ${ROUTE_SHORT[route]}, ${concurrency} clients`, routes[route].concurrent),
]).join('\n')}

The same measurements against any running server: \`npx llama-endpoint bench --url http://127.0.0.1:5001 --route completions --concurrency ${concurrency} --requests 96 --prompt-tokens ${run.prompt.tokens} --max-new-tokens ${run.decodeSteps}\` (or \`--route score\`).
`;
}
