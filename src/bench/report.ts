import type { BenchResult } from './load-generator.js';
import type { LatencySummary } from './percentiles.js';

const ROUTE_LABELS: Record<BenchResult['route'], string> = {
  score: 'POST /score',
  completions: 'POST /v1/completions (streamed)',
};

const TIMING_SOURCES: Record<BenchResult['timingsFrom'], string> = {
  stream: 'measured on the stream',
  metrics: "estimated from the server's /metrics histograms",
  unavailable: 'not available: no streaming route and no matching /metrics histograms',
};

/** One decimal from 10 ms, two from 1 ms, and three significant digits below (a fast model's 0.0421 ms). */
function ms(value: number): string {
  if (value >= 10) return value.toFixed(1);
  if (value >= 1 || value === 0) return value.toFixed(2);
  return value.toPrecision(3);
}

function cutShortLine(result: BenchResult): string[] {
  if (!result.cutShort) return [];
  const { durationS, requestsAsked } = result.cutShort;
  return [
    `stopped      the ${durationS} s duration limit (--duration-s) ended the run after ${result.requests.sent} of the ${requestsAsked} requests asked for`,
  ];
}

function latencyRow(label: string, summary: LatencySummary | undefined): string {
  const cells = summary
    ? [ms(summary.mean), ms(summary.p50), ms(summary.p90), ms(summary.p99), String(summary.count)]
    : ['-', '-', '-', '-', '0'];
  return label.padEnd(22) + cells.map((cell) => cell.padStart(10)).join('');
}

/** The human-readable report `llama-endpoint bench` prints. */
export function formatReport(result: BenchResult): string {
  const { requests, prompt } = result;
  const errors = Object.entries(result.errors)
    .sort(([, a], [, b]) => b - a)
    .map(([key, count]) => `${key}: ${count}`)
    .join(', ');
  const promptCheck = prompt.checkedBy === 'tokenize' ? 'counted by /tokenize' : 'assumed one token per word';
  const tokensFrom = result.tokensCountedFrom === 'usage' ? "the server's usage" : 'max_new_tokens';
  return [
    `target       ${result.url} — ${ROUTE_LABELS[result.route]}`,
    `workload     ${result.concurrency} concurrent clients, ${prompt.tokens}-token prompts (${promptCheck}), ${result.maxNewTokens} new tokens each`,
    `requests     ${requests.sent} sent, ${requests.ok} ok, ${requests.failed} failed in ${result.elapsedS.toFixed(2)} s`,
    ...cutShortLine(result),
    `throughput   ${result.generatedTokensPerS.toFixed(1)} generated tokens/s (${result.generatedTokens} tokens, counted from ${tokensFrom})`,
    `errors       ${errors || 'none'}`,
    ...(result.meanBatchSize === undefined
      ? []
      : [
          `batching     ${result.meanBatchSize.toFixed(1)} sequences per decode step on average (server /metrics)`,
        ]),
    '',
    `${''.padEnd(22)}${['mean', 'p50', 'p90', 'p99', 'count'].map((h) => h.padStart(10)).join('')}`,
    latencyRow('latency (ms)', result.latencyMs),
    latencyRow('TTFT (ms)', result.ttftMs),
    latencyRow('inter-token (ms)', result.interTokenMs),
    '',
    `TTFT (time to first token) and inter-token latency: ${TIMING_SOURCES[result.timingsFrom]}.`,
  ].join('\n');
}
