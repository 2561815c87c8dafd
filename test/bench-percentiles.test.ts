import assert from 'node:assert/strict';
import { test } from 'node:test';
import { percentile, summarize } from '../src/bench/percentiles.js';

test('percentile interpolates between the nearest ranks', () => {
  const sorted = [10, 20, 30, 40, 50];
  assert.equal(percentile(sorted, 0), 10);
  assert.equal(percentile(sorted, 50), 30);
  assert.equal(percentile(sorted, 100), 50);
  // rank 0.9 × 4 = 3.6 → 40 + 0.6 × 10
  assert.equal(percentile(sorted, 90), 46);
  assert.equal(percentile([7], 99), 7);
});

test('percentile refuses no values and out-of-range p', () => {
  assert.throws(() => percentile([], 50), /no values/);
  assert.throws(() => percentile([1], 101), /outside/);
});

test('summarize sorts its input and reports mean and p50/p90/p99', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted on purpose
  const summary = summarize(values)!;
  assert.equal(summary.count, 100);
  assert.equal(summary.mean, 50.5);
  assert.equal(summary.p50, 50.5);
  assert.ok(Math.abs(summary.p90 - 90.1) < 1e-9);
  assert.ok(Math.abs(summary.p99 - 99.01) < 1e-9);
  assert.deepEqual(values.slice(0, 2), [100, 99], 'the input is left as it was');
});

test('summarize of nothing is undefined, not zeros', () => {
  assert.equal(summarize([]), undefined);
});
