import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { randomModelConfig } from '../src/modelgen/create-random-model.js';
import type { LlamaGraphOptions } from '../src/modelgen/llama-graph.js';
import { onnxGreedy, tinyRandomModel } from './helpers/models.js';
import { greedyAloneAndBatched } from './helpers/worker-runs.js';

const PROMPTS = [
  'Hello',
  'The quick brown fox jumps over the lazy dog',
  'Once upon a time, in a land far away,',
];

/** The engine's greedy tokens for PROMPTS, batched and alone, on a tiny random GQA model (4 heads, 2 KV heads). */
async function engineGreedy(graph: LlamaGraphOptions) {
  const modelDir = await tinyRandomModel({ graph });
  return { modelDir, ...(await greedyAloneAndBatched(modelDir, PROMPTS, 24)) };
}

test('float32: the engine reproduces a plain greedy loop over the same graph, batched or not', async () => {
  const run = await engineGreedy({});
  assert.deepEqual(run.info, {
    maxContextTokens: 1024,
    vocabSize: 32000,
    provider: 'cpu',
    dtype: 'float32',
    kvCache: 'host',
    // The host cache grows with its sequences: nothing reserved at load.
    kvCacheBytes: 0,
  });
  const session = await ort.InferenceSession.create(`${run.modelDir}/model.onnx`);
  const config = { ...randomModelConfig({ preset: 'tiny' }), vocabSize: 32000 };
  for (const [i, req] of run.requests.entries()) {
    assert.deepEqual(run.alone[i], await onnxGreedy(session, config, req.promptIds, 24), PROMPTS[i]);
    assert.deepEqual(run.batched[i], run.alone[i], PROMPTS[i]);
  }
  await session.release();
});

test('logits for the last position only ([B,1,V]) give the same tokens as full logits', async () => {
  const [full, last] = [await engineGreedy({}), await engineGreedy({ logits: 'last' })];
  assert.deepEqual(last.alone, full.alone);
  assert.deepEqual(last.batched, full.batched);
});

test('float16 graphs (Uint16Array tensors) run, batched as alone', async () => {
  const run = await engineGreedy({ dtype: 'float16' });
  assert.equal(run.info.dtype, 'float16');
  assert.deepEqual(run.batched, run.alone);
  const float32 = await engineGreedy({});
  // Half precision drifts eventually; the first tokens agree with float32.
  for (const [i, tokens] of run.alone.entries())
    assert.deepEqual(tokens.slice(0, 3), float32.alone[i]!.slice(0, 3));
});

test('a GroupQueryAttention graph (--attention gqa, right-padded rows) gives the tokens of the eager graph, batched as alone', async () => {
  const [gqa, eager] = [
    await engineGreedy({ attention: 'gqa', kvOutputs: 'present', fused: true }),
    await engineGreedy({ fused: true }),
  ];
  assert.deepEqual(gqa.alone, eager.alone);
  assert.deepEqual(gqa.batched, gqa.alone);
});
