import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVING_GRAPH } from '../src/modelgen/llama-graph.js';
import { tinyRandomModel } from './helpers/models.js';
import { collect, request, startWorker } from './helpers/worker-runs.js';

const MiB = 2 ** 20;

test('resident memory stays flat over 2000 generated tokens (no growth per step)', async (t) => {
  const modelDir = await tinyRandomModel({ graph: SERVING_GRAPH });
  const handle = startWorker(modelDir, { maxBatchSize: 4 });
  try {
    await handle.ready;
    // 4 sequences × 500 tokens, batched; the first round touches every page the cache will use.
    const round = (onToken?: () => void) =>
      Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          collect(handle, request([1, 100 + i, 200 + i], { maxNewTokens: 500, ignoreEos: true }), onToken),
        ),
      );
    await round();
    const samples: number[] = [];
    let tokens = 0;
    const runs = await round(() => {
      if (tokens++ % 100 === 0) samples.push(process.memoryUsage.rss());
    });
    assert.equal(
      runs.reduce((sum, run) => sum + run.done.generatedTokens, 0),
      2000,
    );
    const growth = (Math.max(...samples) - samples[0]!) / MiB;
    const figures = samples.map((s) => (s / MiB).toFixed(1)).join(', ');
    t.diagnostic(`resident memory every 100 tokens: ${figures} MiB`);
    // The whole cache of this batch at 500 tokens is ~1 MiB: keeping even a small part of one step's
    // allocations alive over 500 steps would pass this bound; the garbage collector's own swings stay under it.
    assert.ok(growth < 16, `resident memory grew ${growth.toFixed(1)} MiB over 2000 tokens: ${figures}`);
  } finally {
    await handle.shutdown();
  }
});
