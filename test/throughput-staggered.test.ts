import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GenerationRequest } from '../src/engine/generation-params.js';
import { SERVING_GRAPH } from '../src/modelgen/llama-graph.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { tinyRandomModel } from './helpers/models.js';
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

const PROMPTS = [
  'The machine',
  'In the garden of forgotten code, where the old compilers sleep',
  'I',
  'Dreams of electric sheep wander through the quiet halls of the data centre at night',
  'Silence',
  'A robot hums',
  'Once upon a time',
  'Seven',
];

test('8 greedy requests joining a running batch one after another get the tokens they get alone', async () => {
  const modelDir = await tinyRandomModel({ graph: SERVING_GRAPH });
  const tokenizer = await loadTokenizer(modelDir);
  // Chunks of 6 tokens: the longer prompts are prefilled over several steps while the others decode.
  const handle = startWorker(modelDir, { maxBatchSize: 8, prefillChunkTokens: 6 });
  try {
    await handle.ready;
    // Odd ones are short: they leave from the middle of the batch while later ones are still joining.
    const requests = PROMPTS.map((text, i) =>
      request(tokenizer.encode(text), {
        maxNewTokens: i % 2 === 1 ? 6 + 3 * i : 90 - 5 * i,
        ignoreEos: true,
      }),
    );
    const alone = await runAlone(handle, requests);
    const steps = recordSteps(handle);
    // Request i+1 is submitted once request i has 4 tokens: each joins a batch that is already running.
    const runs: Promise<SequenceRun>[] = [];
    const generatedWhenJoined: number[] = [];
    let firstCount = 0;
    // The order things happened in: each request's first token and its end (a 'done' counts once the message
    // that carried it was handled, so an end and a first token of the same step never look apart).
    let clock = 0;
    const firstTokenAt: number[] = [];
    const endedAt: number[] = [];
    const submit = (i: number) => {
      generatedWhenJoined.push(firstCount);
      const run = collect(handle, requests[i]!, (_, count) => {
        if (count === 1) firstTokenAt[i] = clock++;
        if (i === 0) firstCount = count;
        if (count === 4 && i + 1 < requests.length) submit(i + 1);
      });
      void run.then(() => {
        endedAt[i] = clock++;
      });
      runs.push(run);
    };
    submit(0);
    for (let i = 0; i < runs.length; i++) await runs[i]!;
    const batched = await Promise.all(runs);
    assert.equal(batched.length, PROMPTS.length);
    assertTokensAsAlone(batched, alone, (i) => PROMPTS[i]!);
    batched.forEach((run, i) => {
      assert.equal(run.done.finishReason, 'length', run.done.error?.message);
      assert.equal(run.done.text, alone[i]!.done.text);
    });
    // They really were staggered: the first kept generating while each later one joined.
    for (let i = 1; i < generatedWhenJoined.length; i++) {
      assert.ok(generatedWhenJoined[i]! > generatedWhenJoined[i - 1]!, `joins at ${generatedWhenJoined}`);
    }
    const sizes = steps.map((s) => s.batchSize);
    assert.ok(Math.max(...sizes) >= 5, `batch sizes ${sizes}`);
    // A short one left from the middle of the batch before a later one joined (got its first token).
    const leftBeforeAJoin = endedAt.some((end, i) => firstTokenAt.some((first, j) => j > i && first > end));
    assert.ok(leftBeforeAJoin, `ends ${endedAt}, first tokens ${firstTokenAt}, batch sizes ${sizes}`);
  } finally {
    await handle.shutdown();
  }
});

test('each sequence keeps its own seed, sampling parameters and stop strings inside a batch', async () => {
  const modelDir = await tinyRandomModel({ graph: SERVING_GRAPH });
  const tokenizer = await loadTokenizer(modelDir);
  const handle = startWorker(modelDir, { maxBatchSize: 8, prefillChunkTokens: 6 });
  try {
    await handle.ready;
    const sampled = (text: string, seed: number, extra: Partial<GenerationRequest['sampling']> = {}) =>
      request(
        tokenizer.encode(text),
        { maxNewTokens: 40, ignoreEos: true },
        { doSample: true, temperature: 0.9, topP: 0.9, topK: 40, seed, ...extra },
      );
    const requests = [
      sampled(PROMPTS[0]!, 1),
      sampled(PROMPTS[0]!, 2),
      sampled(PROMPTS[1]!, 3, { repetitionPenalty: 1.3 }),
      sampled(PROMPTS[2]!, 4, { presencePenalty: 1, frequencyPenalty: 0.5, topK: 0 }),
      request(tokenizer.encode(PROMPTS[3]!), { maxNewTokens: 40, ignoreEos: true }),
    ];
    const alone = await runAlone(handle, requests);
    // A stop string taken from the greedy text alone: the batched run must stop at the same place.
    const greedyText = alone[4]!.done.text;
    const stop = greedyText.slice(10, 14);
    const stopped = {
      ...requests[4]!,
      id: `${requests[4]!.id}-stop`,
      stopping: { ...requests[4]!.stopping, stop: [stop] },
    };
    const [stoppedAlone] = await runAlone(handle, [stopped]);
    const batched = await Promise.all([...requests, stopped].map((req) => collect(handle, req)));
    assertTokensAsAlone(batched.slice(0, requests.length), alone);
    assert.notDeepEqual(tokenIds(batched[0]!), tokenIds(batched[1]!), 'another seed, another text');
    const stoppedRun = batched.at(-1)!;
    assert.equal(stoppedRun.done.finishReason, 'stop');
    assert.equal(stoppedRun.done.text, stoppedAlone!.done.text);
    assert.equal(stoppedRun.done.text, greedyText.slice(0, greedyText.indexOf(stop)));
  } finally {
    await handle.shutdown();
  }
});
