import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVING_GRAPH } from '../src/modelgen/llama-graph.js';
import { tinyRandomModel } from './helpers/models.js';
import { collect, recordSteps, request, runAlone, startWorker, tokenIds } from './helpers/worker-runs.js';

const LONG_PROMPT = [1, ...Array.from({ length: 399 }, (_, i) => 300 + ((i * 7919) % 31000))];
const CHUNK = 32;

/**
 * A sequence is generating when a 400-token prompt arrives. Returns how many decode steps ran (each one a token
 * for the running sequence) while the long prompt waited to join, i.e. during its prefill, counted from the
 * worker's own step reports.
 */
async function longPromptMidGeneration(prefillChunkTokens: number) {
  const modelDir = await tinyRandomModel({ graph: SERVING_GRAPH });
  const handle = startWorker(modelDir, { maxBatchSize: 4, prefillChunkTokens });
  try {
    await handle.ready;
    const running = request([1, 450, 3001, 77], { maxNewTokens: 200, ignoreEos: true });
    const long = request(LONG_PROMPT, { maxNewTokens: 8, ignoreEos: true });
    const alone = await runAlone(handle, [running, long]);
    const steps = recordSteps(handle);
    let longRun: ReturnType<typeof collect> | undefined;
    const runningRun = await collect(handle, running, (_, count) => {
      if (count === 5) longRun = collect(handle, long);
    });
    const longDone = await longRun!;
    assert.deepEqual(tokenIds(runningRun), tokenIds(alone[0]!));
    assert.deepEqual(tokenIds(longDone), tokenIds(alone[1]!));
    assert.ok(steps.every((s) => s.batchSize <= 2));
    return steps.filter((s) => s.waiting > 0).length;
  } finally {
    await handle.shutdown();
  }
}

test('a long prompt arriving mid-generation is prefilled in chunks between the running decode steps', async () => {
  const chunks = Math.ceil(LONG_PROMPT.length / CHUNK);
  // One chunk, then one decode step for the running sequence, and again: it waits for one chunk at a time,
  // never for the whole prompt. After the last chunk the long prompt is in the batch (no longer waiting).
  assert.equal(await longPromptMidGeneration(CHUNK), chunks - 1);
});

test('with the whole prompt in one chunk the running sequence waits for all of it (the contrast)', async () => {
  assert.equal(await longPromptMidGeneration(512), 0);
});
