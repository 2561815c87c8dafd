import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GREEDY, type SamplingParams } from '../src/engine/generation-params.js';
import { applyPenalties } from '../src/engine/logits-processors.js';
import { seededRng } from '../src/engine/rng.js';
import { argmax, sampleToken, topKIndices } from '../src/engine/sampler.js';
import { TokenHistory } from '../src/engine/token-history.js';

const VOCAB = 32000;

/** Reproducible logits: a few strong tokens above a broad flat tail. */
function craftedLogits(seed: number, size = VOCAB): Float32Array {
  const rng = seededRng(seed);
  return Float32Array.from({ length: size }, () => (rng() - 0.5) * 4);
}

/** Logits whose softmax is exactly `probs` (given as relative weights). */
const logitsOf = (probs: number[]) => Float32Array.from(probs, Math.log);

const sampling = (overrides: Partial<SamplingParams>): SamplingParams => ({
  ...GREEDY,
  doSample: true,
  temperature: 1,
  ...overrides,
});

function draws(logits: Float32Array, params: SamplingParams, seed: number, count: number): number[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, () => sampleToken(logits, params, rng));
}

test('temperature 0, do_sample false and top_k 1 all take the argmax', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const logits = craftedLogits(seed);
    const best = argmax(logits);
    assert.equal(
      best,
      [...logits.keys()].reduce((a, b) => (logits[b]! > logits[a]! ? b : a)),
    );
    for (const params of [
      GREEDY,
      sampling({ temperature: 0 }),
      sampling({ doSample: false, temperature: 1.5, topP: 0.5 }),
      sampling({ topK: 1, temperature: 2 }),
    ]) {
      assert.deepEqual(draws(logits, params, seed, 3), [best, best, best]);
    }
  }
  // Ties go to the lowest index, as torch.argmax.
  assert.equal(argmax(Float32Array.of(1, 3, 3, 2)), 1);
});

test('the same seed gives the same tokens; different seeds differ', () => {
  const logits = craftedLogits(7, 2000);
  const params = sampling({ temperature: 1.2, topP: 0.95 });
  const first = draws(logits, params, 42, 64);
  assert.deepEqual(draws(logits, params, 42, 64), first);
  assert.notDeepEqual(draws(logits, params, 43, 64), first);
  // Seeds beyond 32 bits count in full.
  assert.notDeepEqual(draws(logits, params, 2 ** 40 + 42, 64), first);
  assert.ok(new Set(first).size > 32, 'a flat distribution gives varied tokens');
});

test('the seeded RNG is uniform in [0, 1)', () => {
  const rng = seededRng(0);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const x = rng();
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02, `mean ${sum / 10000}`);
});

test('topKIndices gives the k largest, best first, ties by index', () => {
  const logits = craftedLogits(3, 5000);
  const sorted = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b);
  for (const k of [1, 2, 40, 4999, 5000, 6000]) assert.deepEqual(topKIndices(logits, k), sorted.slice(0, k));
  assert.deepEqual(topKIndices(Float32Array.of(1, 2, 2, 0, 2), 2), [1, 2]);
});

test('top-k never picks outside the k most likely tokens', () => {
  const logits = craftedLogits(11);
  const allowed = new Set(topKIndices(logits, 5));
  const picked = draws(logits, sampling({ topK: 5, temperature: 3 }), 5, 500);
  for (const id of picked) assert.ok(allowed.has(id), `token ${id} is not in the top 5`);
  assert.equal(new Set(picked).size, 5, 'a high temperature reaches all five');
});

test('top-p keeps the smallest set reaching p, and nothing else', () => {
  // Probabilities 0.5, 0.3, 0.1, then 0.1 spread over the rest of a 32000-token vocabulary.
  const weights = [0.5, 0.3, 0.1, ...new Array(VOCAB - 3).fill(0.1 / (VOCAB - 3))];
  const logits = logitsOf(weights);
  for (const [topP, expected] of [
    [0.45, [0]],
    [0.7, [0, 1]],
    [0.85, [0, 1, 2]],
  ] as const) {
    const picked = draws(logits, sampling({ topP }), 9, 300);
    assert.deepEqual([...new Set(picked)].sort(), [...expected], `top_p ${topP}`);
  }
  // Close and equal probabilities: the nucleus is cut by value, then by index.
  const close = logitsOf([0.24, 0.25, 0.26, 0.25]);
  assert.deepEqual(new Set(draws(close, sampling({ topP: 0.5 }), 3, 200)), new Set([1, 2]));
  const flat = logitsOf(new Array(1000).fill(1));
  assert.deepEqual(new Set(draws(flat, sampling({ topP: 0.0095 }), 3, 500)), new Set([...Array(10).keys()]));
  // With top-k first, top-p applies to the renormalised top-k set: 0.5/0.8 and 0.3/0.8.
  assert.deepEqual(new Set(draws(logits, sampling({ topK: 2, topP: 0.9 }), 9, 200)), new Set([0, 1]));
  assert.deepEqual(new Set(draws(logits, sampling({ topK: 2, topP: 0.6 }), 9, 200)), new Set([0]));
});

test('sampling follows the softmax at the given temperature', () => {
  // Weights 1 : 3 → 25% / 75% at temperature 1; at temperature 0.5 → 1 : 9.
  const logits = logitsOf([1, 3]);
  const share = (temperature: number) =>
    draws(logits, sampling({ temperature }), 1, 4000).filter((id) => id === 1).length / 4000;
  assert.ok(Math.abs(share(1) - 0.75) < 0.03, `temperature 1: ${share(1)}`);
  assert.ok(Math.abs(share(0.5) - 0.9) < 0.03, `temperature 0.5: ${share(0.5)}`);
});

test('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
  const logits = Float32Array.of(2, -2, 4, -1, 3);
  const history = new TokenHistory([0, 1]);
  history.addGenerated(2);
  applyPenalties(logits, { ...GREEDY, repetitionPenalty: 2 }, history);
  assert.deepEqual([...logits], [1, -4, 2, -1, 3]);
});

test('presence and frequency penalties subtract once and per occurrence, for generated tokens only', () => {
  const logits = Float32Array.of(1, 1, 1, 1);
  const history = new TokenHistory([3]);
  for (const id of [0, 1, 1, 1]) history.addGenerated(id);
  applyPenalties(logits, { ...GREEDY, presencePenalty: 0.5, frequencyPenalty: 0.25 }, history);
  assert.deepEqual([...logits], [1 - 0.5 - 0.25, 1 - 0.5 - 0.75, 1, 1]);
});

test('penalties of 1 and 0 change nothing', () => {
  const logits = craftedLogits(5, 100);
  const before = Float32Array.from(logits);
  const history = new TokenHistory([1, 2, 3]);
  history.addGenerated(4);
  applyPenalties(logits, GREEDY, history);
  assert.deepEqual(logits, before);
});
