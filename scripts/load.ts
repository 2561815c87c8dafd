/**
 * `npm run load -- --url URL [--scenario score|stream] [--api-key K] [--allow-remote]`: the k6 scenario of
 * test/load/ replayed with `llama-endpoint bench`, for machines without k6. k6 sends at a ramping arrival rate;
 * bench is closed-loop, so the replay sends the same number of requests from `benchConcurrency` clients,
 * starting none after the scenario's duration, then checks the same thresholds. Exit 1 when one is missed.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runBench } from '../src/bench/load-generator.js';
import { nonLoopbackAddresses } from '../src/bench/loopback.js';
import { formatReport } from '../src/bench/report.js';
import type { LoadScenario } from './load-scenario.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    scenario: { type: 'string', default: 'score' },
    'api-key': { type: 'string' },
    'allow-remote': { type: 'boolean' },
  },
});
const scenarios = JSON.parse(
  readFileSync(new URL('../../test/load/scenario.json', import.meta.url), 'utf8'),
) as Record<string, LoadScenario>;
const scenario = scenarios[values.scenario];
if (!values.url || !scenario) {
  process.stderr.write(`usage: npm run load -- --url URL [--scenario ${Object.keys(scenarios).join('|')}]\n`);
  process.exit(2);
}
const url = new URL(values.url);
const remote = values['allow-remote'] ? [] : await nonLoopbackAddresses(url);
if (remote.length > 0) {
  process.stderr.write(`load: ${url.hostname} is not this machine; add --allow-remote to load it\n`);
  process.exit(2);
}

/** The requests a ramping-arrival-rate executor starts: the area under its rate curve. */
let rate = scenario.startRate;
let arrivals = 0;
for (const stage of scenario.stages) {
  arrivals += ((rate + stage.target) / 2) * stage.seconds;
  rate = stage.target;
}
const durationS = scenario.stages.reduce((sum, stage) => sum + stage.seconds, 0);

const result = await runBench({
  url,
  route: scenario.route,
  concurrency: scenario.benchConcurrency,
  requests: Math.round(arrivals),
  durationS,
  promptTokens: scenario.promptTokens,
  maxNewTokens: scenario.maxNewTokens,
  warmupRequests: 1,
  timeoutS: 120,
  apiKey: values['api-key'] ?? process.env.API_KEY,
});
process.stdout.write(`${formatReport(result)}\n`);

// bench reports p50/p90/p99: p99 under the p95 budget is a pass for p95 too; above it, p95 may still be under.
const errorRate = result.requests.failed / Math.max(1, result.requests.sent);
const checks: [string, boolean][] = [
  [`error rate ${errorRate.toFixed(3)} < ${scenario.maxErrorRate}`, errorRate < scenario.maxErrorRate],
  [
    `latency p99 ${result.latencyMs?.p99.toFixed(0)} ms < the p95 budget ${scenario.p95LatencyMs} ms`,
    (result.latencyMs?.p99 ?? Infinity) < scenario.p95LatencyMs,
  ],
];
if (scenario.p95FirstTokenMs !== undefined) {
  checks.push([
    `time to first token p99 ${result.ttftMs?.p99.toFixed(0)} ms < the p95 budget ${scenario.p95FirstTokenMs} ms`,
    (result.ttftMs?.p99 ?? Infinity) < scenario.p95FirstTokenMs,
  ]);
}
for (const [what, ok] of checks) process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${what}\n`);
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
