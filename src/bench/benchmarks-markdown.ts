/** BENCHMARKS.md as `npm run bench` writes it: the workload, the machine, every figure and how to reproduce it. */
import type { DecodeCeiling } from './decode-ceiling.js';
import type { BenchResult } from './load-generator.js';
import type { LatencySummary } from './percentiles.js';

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

- **Model**: the \`${model.preset}\` preset of \`llama-endpoint create-random\`: a Llama graph with the Optimum I/O of a real
  export and seeded random weights (${shape}; ${model.sizeMiB.toFixed(0)} MiB of ONNX, read once per decode step). Random weights cost the same
  per step as trained ones of the same shape.
- **Prompt**: ${single.prompt.tokens} tokens, BOS included: "hello hello …", each "hello" one Llama-2 token (${promptCheck}).
- **Generation**: ${single.maxNewTokens} new tokens per request, greedy, \`ignore_eos: true\` so every request generates
  exactly that many; requests go to ${route}.
- **Server**: \`serve --workers ${server.workers} --intra-op-threads ${server.intraOpThreads} --max-batch-size ${server.maxBatchSize}\`
  (one worker thread, one ONNX Runtime session using every core), default logging.

## How each figure is measured

- **(a) decode ceiling**: \`src/bench/decode-ceiling.ts\`. One ONNX Runtime session on the same model with the same
  session options as the server's worker (${server.intraOpThreads} intra-op threads, graph optimisation \`all\`). The
  ${ceiling.promptTokens}-token prompt is prefilled once (${ceiling.prefillMs.toFixed(1)} ms); then a loop of
  ${run.decodeSteps} single-token \`session.run\` calls at batch 1, each feeding the previous step's \`present.*\` back
  as \`past_key_values.*\` (context ${ceiling.promptTokens} → ${ceiling.promptTokens + run.decodeSteps}), with no HTTP,
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
