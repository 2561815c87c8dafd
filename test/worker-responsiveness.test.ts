import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { tinyRandomModel } from './helpers/models.js';
import { collect, request, startWorker } from './helpers/worker-runs.js';

const TICK_MS = 20;

test('the main thread stays responsive while a worker generates', async () => {
  const modelDir = await tinyRandomModel();
  const tokenizer = await loadTokenizer(modelDir);
  const handle = startWorker(modelDir, { maxBatchSize: 16 });
  try {
    await handle.ready;
    // Ticks every 20 ms; lateness is how much later than that each one fired.
    let last = performance.now();
    let worst = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last - TICK_MS);
      last = now;
      ticks++;
    }, TICK_MS);
    const started = performance.now();
    const prompt = tokenizer.encode(
      'The main thread keeps serving requests while the worker thread runs the model.',
    );
    const runs = await Promise.all(
      Array.from({ length: 16 }, () =>
        collect(handle, request(prompt, { maxNewTokens: 600, ignoreEos: true })),
      ),
    );
    clearInterval(timer);
    const elapsed = performance.now() - started;
    console.log(
      `generated 16 × 600 tokens in ${elapsed.toFixed(0)} ms; ${ticks} ticks; worst tick lateness ${worst.toFixed(1)} ms`,
    );
    for (const run of runs) assert.equal(run.done.generatedTokens, 600);
    assert.ok(ticks >= 10, `the generation lasted long enough to measure (${ticks} ticks)`);
    assert.ok(worst < 1000, `every tick within 1 s (worst ${worst.toFixed(1)} ms late)`);
  } finally {
    await handle.shutdown();
  }
});
