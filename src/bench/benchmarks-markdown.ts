/** BENCHMARKS.md as `npm run bench` writes it: the workload, the machine, every figure and how to reproduce it. */
import type { DecodeCeiling } from './decode-ceiling.js';
import type { BenchResult } from './load-generator.js';
import type { LatencySummary } from './percentiles.js';

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
  decodeSteps: number;
  repetitions: number;
  /** Requests sent before (b) and (c), at their concurrency, and not counted. */
  warmupRequests: { single: number; concurrent: number };
  ceiling: DecodeCeiling;
  /** The same loop with every row of a batch as large as (c)'s concurrency: a reference, not a target. */
  batchedCeiling: DecodeCeiling;
  single: BenchResult;
  concurrent: BenchResult;
  stepShapes: StepShape[];
  /** Rounds of the step-time measurement (each variant and shape once per round); the table has their medians. */
  stepRounds: number;
  stepTimes: StepTimeRow[];
  /** The server process's resident memory (MiB), sampled through (c); empty where it cannot be read. */
  serverRssMiB: number[];
}

/** The two ratios the acceptance criteria name, with their targets. */
export const TARGETS = { singleOverCeiling: 0.9, concurrentOverSingle: 5 };

export function ratios(run: Pick<BenchmarkRun, 'ceiling' | 'single' | 'concurrent'>) {
  return {
    singleOverCeiling: run.single.generatedTokensPerS / run.ceiling.tokensPerS,
    concurrentOverSingle: run.concurrent.generatedTokensPerS / run.single.generatedTokensPerS,
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
    `compute-bound as well (${run.ceiling.prefillMs.toFixed(1)} ms for ${run.ceiling.promptTokens} tokens, against ` +
    `${many.toFixed(1)} ms for a step that gives ${shapeMany.batch} tokens), and streams ${shapeMany.batch} clients over HTTP ` +
    'from the same cores that run the model.'
  );
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

function memoryText(samples: number[], tokens: number): string {
  if (samples.length < 4)
    return 'Resident memory could not be read on this system (it is read from `/proc`).';
  const quarter = Math.floor(samples.length / 4);
  const [second, last] = [mean(samples.slice(quarter, 2 * quarter)), mean(samples.slice(-quarter))];
  return (
    `The server process's resident memory (main thread and worker together), read every 250 ms through (c): its ` +
    `warm-up requests (which fill the batch and touch the KV cache's pages), then ${tokens} generated tokens. ` +
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

export function renderBenchmarksMarkdown(run: BenchmarkRun): string {
  const { machine, model, server, ceiling, batchedCeiling, single, concurrent } = run;
  const batchGain = batchedCeiling.tokensPerS / ceiling.tokensPerS;
  const r = ratios(run);
  const route =
    single.route === 'completions' ? '`POST /v1/completions` with `stream: true`' : '`POST /score`';
  const promptCheck =
    single.prompt.checkedBy === 'tokenize'
      ? "counted by the server's `POST /tokenize`"
      : 'assumed one token per word: the server has no `POST /tokenize`';
  const timings =
    single.timingsFrom === 'stream'
      ? 'measured by the client on the stream: TTFT from sending the request to the first chunk with text, inter-token latency between successive chunks with text'
      : single.timingsFrom === 'metrics'
        ? "estimated from the server's `/metrics` histograms (scraped before and after each run; quantiles interpolated inside buckets as PromQL's `histogram_quantile` does, so they are only as fine as the buckets)"
        : 'not available from this server';
  const shape = Object.entries(model.shape)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
  return `# Benchmarks

Written by \`npm run bench\` (\`scripts/bench.ts\`) on ${run.date}. Reproduce with one command from a built checkout:

\`\`\`sh
${run.command}
\`\`\`

It creates the \`${model.preset}\` model under \`${model.dir}\` if it is missing, measures (a) with no server running,
then starts \`llama-endpoint serve\` on a free loopback port, measures (b) and (c) with the load generator behind
\`llama-endpoint bench\`, stops the server and rewrites this file. Figures vary from run to run and machine to machine;
the ratios are what the acceptance criteria judge.

## Result

| figure | value |
| --- | --- |
| (a) bare ONNX Runtime decode ceiling, batch 1 | ${rate(ceiling.tokensPerS)} |
| (b) server, one client | ${rate(single.generatedTokensPerS)} |
| (c) server, ${concurrent.concurrency} concurrent clients | ${rate(concurrent.generatedTokensPerS)} |
| reference: bare decode at batch ${concurrent.concurrency} | ${rate(batchedCeiling.tokensPerS)} (${batchGain.toFixed(2)}× batch 1: the most batching alone can add on this machine) |
| **b/a** (target ≥ ${TARGETS.singleOverCeiling.toFixed(2)}) | **${r.singleOverCeiling.toFixed(3)}**: ${verdict(r.singleOverCeiling, TARGETS.singleOverCeiling)} |
| **c/b** (target ≥ ${TARGETS.concurrentOverSingle}) | **${r.concurrentOverSingle.toFixed(2)}**: ${verdict(r.concurrentOverSingle, TARGETS.concurrentOverSingle)} |

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
- **Prompt**: ${single.prompt.tokens} tokens, BOS included: "hello hello …", each "hello" one Llama-2 token (${promptCheck}).
- **Generation**: ${single.maxNewTokens} new tokens per request, greedy, \`ignore_eos: true\` so every request generates
  exactly that many; requests go to ${route}.
- **Server**: \`serve --workers ${server.workers} --intra-op-threads ${server.intraOpThreads} --max-batch-size ${server.maxBatchSize}\`
  (one worker thread, one ONNX Runtime session using every core), default logging.

## How each figure is measured

- **(a) decode ceiling**: \`src/bench/decode-ceiling.ts\`. One ONNX Runtime session on the same model with the same
  session options as the server's worker (${server.intraOpThreads} intra-op threads, graph optimisation \`all\`). The
  ${ceiling.promptTokens}-token prompt is prefilled (${ceiling.prefillMs.toFixed(1)} ms); then a loop of
  ${run.decodeSteps} single-token \`session.run\` calls at batch 1 through the engine's own runner and KV cache (each step's
  new keys/values written into the cache in place, context ${ceiling.promptTokens} → ${ceiling.promptTokens + run.decodeSteps}), with no HTTP,
  no sampling and no detokenization. One untimed warm-up repetition, then ${run.repetitions} timed ones
  (${ceiling.repetitionTokensPerS.map((v) => v.toFixed(1)).join(', ')} tokens/s); the figure is their median.
  It counts decode steps only, not the prefill.
- **(b) single stream**: one client sends ${single.requests.sent} requests one after another (after
  ${run.warmupRequests.single} warm-up requests, not counted); generated tokens/s = tokens
  generated by the successful requests ÷ wall time from the first request sent to the last answer (${single.elapsedS.toFixed(2)} s).
  Unlike (a) it includes each request's prefill, queueing, sampling, detokenization and HTTP.
- **(c) aggregate**: ${concurrent.concurrency} clients, each sending its next request as soon as its last is answered,
  ${concurrent.requests.sent} requests in all (${concurrent.elapsedS.toFixed(2)} s) after ${run.warmupRequests.concurrent} warm-up
  requests, same prompt and length; same formula.
  The server's continuous batching is what lets this exceed (b).
- **reference, bare decode at batch ${concurrent.concurrency}**: the loop of (a) with ${concurrent.concurrency} identical rows decoded
  together (${batchedCeiling.repetitionTokensPerS.map((v) => v.toFixed(1)).join(', ')} tokens/s; median). Its ratio to (a),
  ${batchGain.toFixed(2)}, is about the most c/b can reach here: (c) additionally pays for prefills that join the batch
  and for sequences that start and finish at different times.
- **b/a** is the share of the bare decode rate one stream gets through the whole server; **c/b** is what batching adds.
- Generated tokens are counted ${single.tokensCountedFrom === 'usage' ? "from the server's `usage` in the final stream chunk" : 'as `max_new_tokens` per successful request (ignore_eos makes that exact)'}.

## Decode step time by graph and KV cache (ms per step)

The loop of (a) in ${run.stepRounds} rounds that take every variant and shape in turn (the median of the rounds, so
a machine whose speed drifts weighs on every variant alike), for the graph and cache this server used before
(the Optimum graph returns \`present.*\`, the whole cache, every step: ONNX Runtime concatenates it inside the graph and
onnxruntime-node copies it into a new buffer) and after (the graph returns only the step's new keys/values, attention
reads past and new keys as two blocks without concatenating, and the engine writes the new ones into a per-worker
cache in place); with plain ops and with the fused \`SimplifiedLayerNormalization\`/\`RotaryEmbedding\` kernels.

${stepTimesTable(run)}

${batchingBound(run)}

## Memory

${memoryText(run.serverRssMiB, concurrent.requests.ok * concurrent.maxNewTokens)}

## Latency (ms) and errors

TTFT and inter-token latency are ${timings}. Request latency is measured by the client, sent to fully answered.
Batch = mean sequences per decode step from the server's \`llama_endpoint_batch_size\` histogram.

| run | ok/sent | errors | latency p50 | p90 | p99 | TTFT p50 | p90 | p99 | inter-token p50 | p90 | p99 | batch |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${loadRow('(b) 1 client', single)}
${loadRow(`(c) ${concurrent.concurrency} clients`, concurrent)}

The same measurements against any running server: \`npx llama-endpoint bench --url http://127.0.0.1:5001 --concurrency ${concurrent.concurrency} --requests ${concurrent.requests.sent} --prompt-tokens ${single.prompt.tokens} --max-new-tokens ${single.maxNewTokens}\`.
`;
}
