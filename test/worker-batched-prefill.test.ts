import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LlamaGraphOptions, SERVING_GRAPH } from '../src/modelgen/llama-graph.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import type { WorkerOptions } from '../src/worker/protocol.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { convertedAidreams, tinyRandomModel } from './helpers/models.js';
import { fixturesMissing } from './helpers/paths.js';
import {
  assertTokensAsAlone,
  collect,
  recordSteps,
  request,
  runAlone,
  type SequenceRun,
  startWorker,
  tokenIds,
} from './helpers/worker-runs.js';

const skip = fixturesMissing();

/** Different lengths (8, 19, 2, 32 and 10 aidreams tokens with BOS): the shorter rows are left-padded. */
const PROMPTS = [
  'The machine',
  'In the garden of forgotten code',
  'I',
  'Dreams of electric sheep wander through the quiet halls',
  'A robot hums',
];

interface Batched {
  requestIds: number[][];
  alone: SequenceRun[];
  batched: SequenceRun[];
  /** prefillBatchSize of every decode step while the batch ran. */
  prefillSizes: number[];
}

/**
 * PROMPTS alone (one after another), then all submitted in one burst to the idle worker, which receives them
 * in one message and prefills as many as it has slots for in one run. The third stops after one token, so it
 * leaves the cache before the others of its prefill run join the batch.
 */
async function batchedPrefill(modelDir: string, options: Partial<WorkerOptions> = {}): Promise<Batched> {
  const tokenizer = await loadTokenizer(modelDir);
  const handle = startWorker(modelDir, { maxBatchSize: 8, prefillChunkTokens: 32, ...options });
  try {
    await handle.ready;
    const requests = PROMPTS.map((text, i) =>
      request(tokenizer.encode(text), { maxNewTokens: i === 2 ? 1 : 40, ignoreEos: true }),
    );
    const aloneSteps = recordSteps(handle);
    const alone = await runAlone(handle, requests);
    assert.ok(
      aloneSteps.every((s) => s.prefillBatchSize <= 1),
      'alone, every prefill run held one sequence',
    );
    const steps = recordSteps(handle);
    const batched = await Promise.all(requests.map((req) => collect(handle, req)));
    batched.forEach((run) => {
      assert.notEqual(run.done.finishReason, 'error', run.done.error?.message);
    });
    return {
      requestIds: requests.map((r) => r.promptIds),
      alone,
      batched,
      prefillSizes: steps.map((s) => s.prefillBatchSize),
    };
  } finally {
    await handle.shutdown();
  }
}

test('prompts of different lengths waiting together are prefilled in one run and give the tokens they give alone (slot cache)', {
  skip,
}, async () => {
  const modelDir = await convertedAidreams(SERVING_GRAPH);
  const run = await batchedPrefill(modelDir);
  assert.deepEqual(
    new Set(run.requestIds.map((ids) => ids.length)).size,
    PROMPTS.length,
    'all lengths differ',
  );
  assert.equal(run.prefillSizes[0], PROMPTS.length, 'the first decode step followed one prefill of all');
  assert.ok(run.prefillSizes.slice(1).every((size) => size === 0));
  assertTokensAsAlone(run.batched, run.alone, (i) => PROMPTS[i]!);
  assert.equal(run.batched[2]!.tokens.length, 1);
  // And they are llama2.c's greedy tokens.
  const reference = aidreamsGreedyReference();
  let compared = 0;
  for (const ref of reference) {
    const i = PROMPTS.indexOf(ref.prompt);
    if (i === -1 || i === 2) continue;
    const length = Math.min(ref.generated_ids.length, 40);
    assert.deepEqual(
      tokenIds(run.batched[i]!).slice(0, length),
      ref.generated_ids.slice(0, length),
      ref.prompt,
    );
    compared++;
  }
  assert.ok(compared >= 2, `${compared} prompts compared with llama2.c`);
});

for (const [name, graph] of [
  ['Optimum present graph, host cache, logits of every position', { kvOutputs: 'present' }],
  ['float16 serving graph, slot cache', { ...SERVING_GRAPH, dtype: 'float16' }],
] satisfies [string, LlamaGraphOptions][]) {
  test(`batched prefill gives each prompt its tokens alone: ${name}`, async () => {
    const run = await batchedPrefill(await tinyRandomModel({ graph }));
    assert.equal(run.prefillSizes[0], PROMPTS.length);
    assertTokensAsAlone(run.batched, run.alone, (i) => PROMPTS[i]!);
  });
}

test('a prefill run takes only as many as there are free slots, and never skips a prompt that needs chunks', {
  skip,
}, async () => {
  const modelDir = await convertedAidreams(SERVING_GRAPH);
  const runs = (sizes: number[]) => sizes.filter((size) => size > 0);
  // Three slots: the first run takes three prompts; 'I' ends with its first token, so the fourth gets its
  // slot at once, and the fifth waits for one.
  const few = await batchedPrefill(modelDir, { maxBatchSize: 3 });
  assert.deepEqual(runs(few.prefillSizes), [3, 1, 1]);
  assertTokensAsAlone(few.batched, few.alone, (i) => PROMPTS[i]!);
  // 19-token chunks: the 32-token prompt is prefilled alone in two chunks, and 'A robot hums' behind it, which
  // fits in one, waits its turn rather than joining the first run.
  const chunked = await batchedPrefill(modelDir, { prefillChunkTokens: 19 });
  assert.deepEqual(runs(chunked.prefillSizes), [3, 1, 1, 1]);
  assertTokensAsAlone(chunked.batched, chunked.alone, (i) => PROMPTS[i]!);
});
