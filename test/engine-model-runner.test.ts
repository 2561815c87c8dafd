import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { randomModelConfig } from '../src/modelgen/create-random-model.js';
import type { LlamaGraphOptions } from '../src/modelgen/llama-graph.js';
import { onnxGreedy, tinyRandomModel } from './helpers/models.js';
import { greedyAloneAndBatched, startWorker } from './helpers/worker-runs.js';

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

test('a graph with a fixed-length shared KV buffer (GroupQueryAttention) is refused at load, with the reason', async () => {
  const handle = startWorker(await tinyRandomModel({ graph: { attention: 'gqa' } }));
  await assert.rejects(handle.ready, /past_key_values\.0\.key has a fixed past length of 1024/);
});
