import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addHistogram,
  findHistogram,
  histogramQuantile,
  histogramSummary,
  parseHistograms,
  subtractHistogram,
} from '../src/bench/prometheus-histogram.js';

const close = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

// Two labelled series of one histogram, as prom-client writes them, plus metrics that are not histograms.
const AFTER = `# HELP llama_time_to_first_token_seconds Time to first token.
# TYPE llama_time_to_first_token_seconds histogram
llama_time_to_first_token_seconds_bucket{le="0.01",route="score"} 1
llama_time_to_first_token_seconds_bucket{le="0.1",route="score"} 3
llama_time_to_first_token_seconds_bucket{le="1",route="score"} 4
llama_time_to_first_token_seconds_bucket{le="+Inf",route="score"} 4
llama_time_to_first_token_seconds_sum{route="score"} 1.2
llama_time_to_first_token_seconds_count{route="score"} 4
llama_time_to_first_token_seconds_bucket{route="completions",le="0.01"} 0
llama_time_to_first_token_seconds_bucket{route="completions",le="0.1"} 1
llama_time_to_first_token_seconds_bucket{route="completions",le="1"} 2
llama_time_to_first_token_seconds_bucket{route="completions",le="+Inf"} 3
llama_time_to_first_token_seconds_sum{route="completions"} 5
llama_time_to_first_token_seconds_count{route="completions"} 3
# TYPE llama_prompt_tokens_sum counter
llama_prompt_tokens_sum 900
# TYPE llama_requests_running gauge
llama_requests_running 2
`;

const BEFORE = `llama_time_to_first_token_seconds_bucket{le="0.01",route="score"} 1
llama_time_to_first_token_seconds_bucket{le="0.1",route="score"} 2
llama_time_to_first_token_seconds_bucket{le="1",route="score"} 2
llama_time_to_first_token_seconds_bucket{le="+Inf",route="score"} 2
llama_time_to_first_token_seconds_sum{route="score"} 0.3
`;

test('series of one histogram are summed by bucket; non-histograms are left out', () => {
  const histograms = parseHistograms(AFTER);
  assert.deepEqual([...histograms.keys()], ['llama_time_to_first_token_seconds']);
  const ttft = histograms.get('llama_time_to_first_token_seconds')!;
  assert.deepEqual(ttft.buckets, [
    { le: 0.01, count: 1 },
    { le: 0.1, count: 4 },
    { le: 1, count: 6 },
    { le: Infinity, count: 7 },
  ]);
  close(ttft.sum, 6.2);
});

test('quantiles interpolate inside their bucket; the +Inf bucket answers the highest finite bound', () => {
  const ttft = parseHistograms(AFTER).get('llama_time_to_first_token_seconds')!;
  // rank 3.5 falls in (0.01, 0.1], which holds observations 2..4.
  close(histogramQuantile(ttft, 0.5), 0.01 + 0.09 * (2.5 / 3));
  close(histogramQuantile(ttft, 0.99), 1);
  const empty = { name: 'x', buckets: [{ le: Infinity, count: 0 }], sum: 0 };
  assert.equal(histogramQuantile(empty, 0.5), undefined);
});

test('the difference of two scrapes is what was observed between them, in milliseconds', () => {
  const before = parseHistograms(BEFORE);
  const after = parseHistograms(AFTER);
  const latest = findHistogram(after, /time_to_first_token/)!;
  const between = subtractHistogram(latest, before.get(latest.name));
  assert.deepEqual(
    between.buckets.map((b) => b.count),
    [0, 2, 4, 5],
  );
  const summary = histogramSummary(between)!;
  assert.equal(summary.count, 5);
  close(summary.mean, 1180);
  close(summary.p50, 325); // rank 2.5 in (0.1, 1] holding observations 3..4: 0.1 + 0.9 × 0.5 / 2 s
  assert.equal(histogramSummary(subtractHistogram(latest, latest)), undefined, 'nothing happened');
  assert.equal(findHistogram(after, /inter_token/), undefined);
});

test('histograms named in milliseconds are not scaled again', () => {
  const text = 'itl_ms_bucket{le="10"} 2\nitl_ms_bucket{le="+Inf"} 2\nitl_ms_sum 8\n';
  const summary = histogramSummary(parseHistograms(text).get('itl_ms')!)!;
  assert.equal(summary.mean, 4);
  assert.equal(summary.p50, 5);
});

test('two periods added are one histogram: counts by bound and sums add up', () => {
  const histogram = findHistogram(parseHistograms(AFTER), /first_token/)!;
  const earlier = findHistogram(parseHistograms(BEFORE), /first_token/)!;
  const total = addHistogram(histogram, earlier);
  assert.deepEqual(
    total.buckets.map((b) => b.count),
    [2, 6, 8, 9],
  );
  close(total.sum, 6.5);
  assert.deepEqual(subtractHistogram(total, earlier), histogram);
});
