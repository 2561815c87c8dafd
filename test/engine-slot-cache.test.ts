import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LlamaGraphOptions } from '../src/modelgen/llama-graph.js';
import { tinyRandomModel } from './helpers/models.js';
import { greedyAloneAndBatched } from './helpers/worker-runs.js';

const PROMPTS = [
  'Hello',
  'The quick brown fox jumps over the lazy dog',
  'Once upon a time, in a land far away,',
  'A',
];

/** Greedy tokens for PROMPTS, alone and batched; 5-token chunks, so later chunks read their row in place. */
async function engineGreedy(graph: LlamaGraphOptions) {
  return greedyAloneAndBatched(await tinyRandomModel({ graph }), PROMPTS, 40);
}

test('new-K/V graphs through the slot cache give the tokens of Optimum graphs through the host cache', async () => {
  const reference = await engineGreedy({ kvOutputs: 'present' });
  for (const graph of [
    { kvOutputs: 'new' },
    { kvOutputs: 'new', logits: 'last' },
    { kvOutputs: 'new', logits: 'last', fused: true },
  ] satisfies LlamaGraphOptions[]) {
    const run = await engineGreedy(graph);
    assert.deepEqual(run.alone, reference.alone, JSON.stringify(graph));
    assert.deepEqual(run.batched, reference.alone, JSON.stringify(graph));
  }
});

test('float16 new-K/V graphs run batched as alone', async () => {
  const run = await engineGreedy({ kvOutputs: 'new', dtype: 'float16' });
  assert.deepEqual(run.batched, run.alone);
});
