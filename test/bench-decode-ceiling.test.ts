import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeLoop, measureDecodeCeiling } from '../src/bench/decode-ceiling.js';
import { tinyRandomModel } from './helpers/models.js';

test('the decode ceiling runs prefill then timed decode steps on the real session', async () => {
  const modelDir = await tinyRandomModel();
  const ceiling = await measureDecodeCeiling({
    modelDir,
    intraOpThreads: 1,
    promptTokens: 12,
    decodeSteps: 20,
    batch: 1,
    repetitions: 3,
  });
  assert.equal(ceiling.promptTokens, 12);
  assert.equal(ceiling.repetitionTokensPerS.length, 3);
  for (const rate of ceiling.repetitionTokensPerS)
    assert.ok(Number.isFinite(rate) && rate > 0, `rate ${rate}`);
  const sorted = [...ceiling.repetitionTokensPerS].sort((a, b) => a - b);
  assert.equal(ceiling.tokensPerS, sorted[1], 'the median repetition');
  assert.ok(ceiling.prefillMs > 0);
});

test('a run longer than the context is refused before timing anything', async () => {
  const modelDir = await tinyRandomModel({ overrides: { maxPositions: 16 } });
  await assert.rejects(
    measureDecodeCeiling({
      modelDir,
      intraOpThreads: 1,
      promptTokens: 12,
      decodeSteps: 20,
      batch: 1,
      repetitions: 1,
    }),
    /12 prompt tokens \+ 20 decode steps exceed the model's context of 16/,
  );
});

test('a batched ceiling decodes every row in step', async () => {
  const modelDir = await tinyRandomModel();
  const ceiling = await measureDecodeCeiling({
    modelDir,
    intraOpThreads: 1,
    promptTokens: 6,
    decodeSteps: 8,
    batch: 3,
    repetitions: 1,
  });
  assert.equal(ceiling.promptTokens, 6);
  assert.equal(ceiling.repetitionTokensPerS.length, 1);
  assert.ok(ceiling.tokensPerS > 0);
});

test('one open decode loop takes repetitions at each batch size it was opened for, one at a time', async () => {
  const modelDir = await tinyRandomModel();
  const loop = await DecodeLoop.open({
    modelDir,
    intraOpThreads: 1,
    promptTokens: 6,
    decodeSteps: 8,
    batches: [1, 3],
  });
  try {
    assert.equal(loop.promptTokens, 6);
    for (const batch of [1, 3, 1]) {
      const repetition = await loop.repetition(batch);
      assert.ok(repetition.tokensPerS > 0 && repetition.prefillMs > 0, `batch ${batch}`);
    }
    await assert.rejects(loop.repetition(2), /not opened for batch 2/);
  } finally {
    await loop.close();
  }
});
