import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BenchResult } from '../src/bench/load-generator.js';
import { formatReport } from '../src/bench/report.js';

const RESULT: BenchResult = {
  url: 'http://127.0.0.1:5001/',
  route: 'score',
  concurrency: 16,
  maxNewTokens: 64,
  prompt: { tokens: 32, checkedBy: 'tokenize' },
  requests: { sent: 40, ok: 37, failed: 3 },
  errors: { timeout: 1, '429': 2 },
  elapsedS: 2.5,
  generatedTokens: 2368,
  tokensCountedFrom: 'max_new_tokens',
  generatedTokensPerS: 947.2,
  latencyMs: { count: 37, mean: 1000, p50: 950.2, p90: 1200, p99: 1300 },
  ttftMs: { count: 37, mean: 40, p50: 35, p90: 60, p99: 9.5 },
  timingsFrom: 'metrics',
};

test('the report shows the workload, throughput, errors by count and the latency table', () => {
  const lines = formatReport(RESULT).split('\n');
  const line = (start: string) => lines.find((l) => l.startsWith(start)) ?? assert.fail(`no '${start}' line`);
  assert.match(
    line('workload'),
    /16 concurrent clients, 32-token prompts \(counted by \/tokenize\), 64 new tokens/,
  );
  assert.match(line('requests'), /40 sent, 37 ok, 3 failed in 2\.50 s/);
  assert.match(line('throughput'), /947\.2 generated tokens\/s \(2368 tokens, counted from max_new_tokens\)/);
  assert.equal(line('errors'), 'errors       429: 2, timeout: 1');
  assert.deepEqual(
    line('latency (ms)')
      .split(/\s{2,}/)
      .slice(1),
    ['1000.0', '950.2', '1200.0', '1300.0', '37'],
  );
  assert.deepEqual(
    line('TTFT (ms)')
      .split(/\s{2,}/)
      .slice(1),
    ['40.0', '35.0', '60.0', '9.50', '37'],
  );
  assert.deepEqual(
    line('inter-token (ms)')
      .split(/\s{2,}/)
      .slice(1),
    ['-', '-', '-', '-', '0'],
  );
  assert.match(lines.at(-1)!, /estimated from the server's \/metrics histograms/);
});

test('a clean run says so', () => {
  const report = formatReport({ ...RESULT, errors: {}, requests: { sent: 40, ok: 40, failed: 0 } });
  assert.match(report, /^errors {7}none$/m);
});

test('sub-millisecond latencies keep three significant digits instead of printing 0.00', () => {
  const report = formatReport({
    ...RESULT,
    timingsFrom: 'stream',
    interTokenMs: { count: 9, mean: 0.0421, p50: 0.00387, p90: 0.5, p99: 1.25 },
  });
  const line = report.split('\n').find((l) => l.startsWith('inter-token (ms)')) ?? assert.fail('no row');
  assert.deepEqual(line.split(/\s{2,}/).slice(1), ['0.0421', '0.00387', '0.500', '1.25', '9']);
});

test('a run the duration limit cut short says so, with how many of the requests asked for were sent', () => {
  const report = formatReport({ ...RESULT, cutShort: { durationS: 60, requestsAsked: 500 } });
  assert.match(
    report,
    /^stopped {6}the 60 s duration limit \(--duration-s\) ended the run after 40 of the 500 requests asked for$/m,
  );
  assert.doesNotMatch(formatReport(RESULT), /duration limit/);
});
