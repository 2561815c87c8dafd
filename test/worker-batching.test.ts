import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GenerationRequest } from '../src/engine/generation-params.js';
import { SERVING_GRAPH } from '../src/modelgen/llama-graph.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';
import type { WorkerHandle } from '../src/worker/handle.js';
import { aidreamsGreedyReference, type GreedyReference } from './helpers/aidreams.js';
import { convertedAidreams } from './helpers/models.js';
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
let tokenizer: Tokenizer;
let reference: GreedyReference[];
let handle: WorkerHandle;

const PROMPTS = [
  'The machine',
  'In the garden of forgotten code',
  'I',
  'Dreams of electric sheep wander through the quiet halls',
  'Silence',
  'A robot hums',
];

before(async () => {
  if (skip) return;
  const modelDir = await convertedAidreams(SERVING_GRAPH);
  tokenizer = await loadTokenizer(modelDir);
  reference = aidreamsGreedyReference();
  // The graph the server writes by default (new K/V only, in-place slot cache). Small prefill chunks: every
  // prompt here longer than 4 tokens is prefilled in several runs.
  handle = startWorker(modelDir, { maxBatchSize: 8, prefillChunkTokens: 4 });
  await handle.ready;
});

after(() => handle?.shutdown());

const prompt = (text: string, stopping: Partial<GenerationRequest['stopping']> = {}) =>
  request(tokenizer.encode(text), { maxNewTokens: 60, ...stopping });

test('a batch of prompts of different lengths gives each one its tokens alone', {
  skip,
}, async () => {
  const requests = PROMPTS.map((text) => prompt(text));
  const alone = await runAlone(handle, requests);
  const steps = recordSteps(handle);
  const batched = await Promise.all(requests.map((req) => collect(handle, req)));
  assert.equal(Math.max(...steps.map((s) => s.batchSize)), PROMPTS.length, 'all ran in one batch');
  assertTokensAsAlone(batched, alone, (i) => PROMPTS[i]!);
  batched.forEach((run, i) => {
    assert.equal(run.done.text, alone[i]!.done.text);
    assert.equal(run.done.finishReason, alone[i]!.done.finishReason);
    assert.equal(run.done.promptTokens, requests[i]!.promptIds.length);
  });
  assert.ok(
    batched.some((r) => r.done.finishReason === 'stop') &&
      batched.some((r) => r.done.finishReason === 'length'),
    'some sequences left the batch before others',
  );
  // Chunked prefill and batching still reproduce llama2.c token for token.
  for (const ref of reference) {
    const run = batched[PROMPTS.indexOf(ref.prompt)]!;
    assert.deepEqual(requests[PROMPTS.indexOf(ref.prompt)]!.promptIds, ref.prompt_ids);
    assert.deepEqual(tokenIds(run).slice(0, ref.generated_ids.length), ref.generated_ids, ref.prompt);
  }
});

test('sequences that join a running batch mid-way change nobody’s output', { skip }, async () => {
  const [first, second, third, fourth] = [
    // As long as the context allows, so the others surely join while it runs.
    prompt(PROMPTS[0]!, { ignoreEos: true, maxNewTokens: 120 }),
    prompt(PROMPTS[3]!, { ignoreEos: true, maxNewTokens: 90 }),
    prompt(PROMPTS[1]!),
    prompt(PROMPTS[5]!, { maxNewTokens: 5 }),
  ] as const;
  const alone = await runAlone(handle, [first, second, third, fourth]);
  const steps = recordSteps(handle);
  const joined: Promise<SequenceRun>[] = [];
  let firstCount = 0;
  let firstCountWhenSecondStarted = -1;
  const firstRun = collect(handle, first, (_, count) => {
    firstCount = count;
    if (count !== 5) return;
    joined.push(
      collect(handle, second, (__, secondCount) => {
        if (secondCount === 1) firstCountWhenSecondStarted = firstCount;
        if (secondCount === 3) joined.push(collect(handle, third), collect(handle, fourth));
      }),
    );
  });
  const runs = [await firstRun];
  // The later submissions are pushed while the first runs; wait for all of them.
  for (let i = 0; i < joined.length; i++) runs.push(await joined[i]!);
  assert.equal(runs.length, 4);
  assert.ok(
    firstCountWhenSecondStarted >= 5 && firstCountWhenSecondStarted < 120,
    `the second joined mid-way (after ${firstCountWhenSecondStarted} tokens of the first)`,
  );
  const order = [first, second, third, fourth];
  runs.forEach((run) => {
    assert.notEqual(run.done.finishReason, 'error', run.done.error?.message);
    const index = order.findIndex((r) => r.id === run.done.id);
    assert.deepEqual(tokenIds(run), tokenIds(alone[index]!), `sequence ${index}`);
  });
  const sizes = steps.map((s) => s.batchSize);
  assert.equal(sizes[0], 1);
  assert.ok(sizes.includes(2) && Math.max(...sizes) >= 3, `batch sizes ${[...new Set(sizes)]}`);
});

test('at most maxBatchSize run at once, first come first served', { skip }, async () => {
  const small = startWorker(await convertedAidreams(SERVING_GRAPH), {
    maxBatchSize: 2,
    prefillChunkTokens: 4,
  });
  try {
    await small.ready;
    const requests = PROMPTS.map((text) => prompt(text, { maxNewTokens: 12 }));
    const alone = await runAlone(small, requests);
    const steps = recordSteps(small);
    const firstTokenOrder: string[] = [];
    const runs = await Promise.all(
      requests.map((req) =>
        collect(small, req, (event, count) => {
          if (count === 1) firstTokenOrder.push(event.id);
        }),
      ),
    );
    assert.ok(Math.max(...steps.map((s) => s.batchSize)) <= 2);
    assert.ok(
      steps.some((s) => s.waiting > 0),
      'the others were reported waiting',
    );
    assert.deepEqual(
      firstTokenOrder,
      requests.map((r) => r.id),
    );
    assertTokensAsAlone(runs, alone);
    runs.forEach((run) => {
      const { queueMs, firstTokenMs, interTokenMs, totalMs } = run.done.timings;
      assert.ok(firstTokenMs !== undefined && queueMs <= firstTokenMs && firstTokenMs <= totalMs);
      assert.equal(interTokenMs.length, run.tokens.length - 1);
    });
    assert.ok(
      runs[5]!.done.timings.queueMs > runs[0]!.done.timings.queueMs,
      'the last one waited for a slot',
    );
  } finally {
    await small.shutdown();
  }
});

test('cancel ends a running or waiting sequence at the next step and leaves the others alone', {
  skip,
}, async () => {
  const small = startWorker(await convertedAidreams(SERVING_GRAPH), { maxBatchSize: 2 });
  try {
    await small.ready;
    const [keep, cancelled, waiting] = [
      prompt(PROMPTS[0]!, { ignoreEos: true, maxNewTokens: 60 }),
      prompt(PROMPTS[2]!, { ignoreEos: true, maxNewTokens: 60 }),
      prompt(PROMPTS[4]!, { ignoreEos: true, maxNewTokens: 60 }),
    ];
    const [alone] = await runAlone(small, [keep]);
    const runs = Promise.all([
      collect(small, keep),
      collect(small, cancelled, (_, count) => {
        if (count === 5) small.cancel(cancelled.id, 'cancelled');
      }),
      collect(small, waiting),
    ]);
    small.cancel(waiting.id, 'timeout');
    const [kept, stopped, timedOut] = await runs;
    assert.deepEqual(tokenIds(kept), tokenIds(alone!));
    assert.equal(stopped.done.finishReason, 'cancelled');
    // Ended early: the cancel reached the worker between two steps, however busy this thread was.
    assert.ok(
      stopped.done.generatedTokens >= 5 && stopped.done.generatedTokens < 60,
      `${stopped.done.generatedTokens}`,
    );
    assert.equal(stopped.done.text, stopped.tokens.map((t) => t.text).join(''));
    assert.equal(timedOut.done.finishReason, 'timeout');
    assert.equal(timedOut.done.generatedTokens, 0);
  } finally {
    await small.shutdown();
  }
});

test('stop strings, EOS, BOS (this model lists it), ignore_eos and max_new_tokens through the worker', {
  skip,
}, async () => {
  // Stop string: the continuation is ", features emerge, fragile dance of probability. ..."
  const stopped = await collect(handle, prompt('The machine', { stop: ['xyz', 'fragile d'] }));
  assert.equal(stopped.done.finishReason, 'stop');
  assert.equal(stopped.done.text, ', features emerge, ');
  assert.equal(stopped.tokens.map((t) => t.text).join(''), ', features emerge, ');

  // EOS: this prompt ends with </s> after 49 tokens.
  const eos = await collect(handle, prompt('In the garden of forgotten code', { maxNewTokens: 80 }));
  assert.equal(eos.done.finishReason, 'stop');
  assert.equal(eos.tokens.at(-1)!.tokenId, 2);
  assert.equal(eos.done.generatedTokens, 49);
  assert.ok(eos.done.text.endsWith('probability unfolding.'));
  const ignored = await collect(
    handle,
    prompt('In the garden of forgotten code', { maxNewTokens: 80, ignoreEos: true }),
  );
  assert.equal(ignored.done.finishReason, 'length');
  assert.equal(ignored.done.generatedTokens, 80);
  assert.deepEqual(tokenIds(ignored).slice(0, 49), tokenIds(eos));

  // BOS: a strong repetition "penalty" below 1 favours the prompt's tokens, BOS among them, until BOS comes.
  const bosRequest = (ignoreEos: boolean) =>
    request(tokenizer.encode('I'), { maxNewTokens: 20, ignoreEos }, { repetitionPenalty: 0.001 });
  const bos = await collect(handle, bosRequest(false));
  assert.equal(bos.done.finishReason, 'stop');
  assert.equal(bos.tokens.at(-1)!.tokenId, 1);
  assert.ok(bos.done.generatedTokens > 1 && bos.done.generatedTokens < 20);
  const throughBos = await collect(handle, bosRequest(true));
  assert.equal(throughBos.done.finishReason, 'length');
  assert.equal(tokenIds(throughBos)[bos.done.generatedTokens - 1], 1);

  for (const maxNewTokens of [1, 7]) {
    const run = await collect(handle, prompt('The machine', { maxNewTokens }));
    assert.equal(run.done.finishReason, 'length');
    assert.equal(run.tokens.length, maxNewTokens);
    assert.equal(run.done.generatedTokens, maxNewTokens);
  }
});

test('the same seed gives the same text, batched or alone; another seed another text', { skip }, async () => {
  const sampled = (seed: number) =>
    request(
      tokenizer.encode('The machine'),
      { maxNewTokens: 40, ignoreEos: true },
      { doSample: true, temperature: 1, topP: 0.95, topK: 50, seed },
    );
  const [alone] = await runAlone(handle, [sampled(7)]);
  const [again, other, ...rest] = await Promise.all(
    [sampled(7), sampled(8), ...PROMPTS.map((text) => prompt(text))].map((req) => collect(handle, req)),
  );
  assert.equal(rest.length, PROMPTS.length);
  assert.equal(again!.done.text, alone!.done.text);
  assert.notEqual(other!.done.text, alone!.done.text);
});

test('requests the worker cannot take end at once with a reason', { skip }, async () => {
  const ids = tokenizer.encode('In the garden of forgotten code');
  const tooLong = await collect(handle, request(ids, { maxNewTokens: 120 }));
  assert.equal(tooLong.done.finishReason, 'error');
  assert.equal(tooLong.done.error!.kind, 'invalid-request');
  assert.match(
    tooLong.done.error!.message,
    /19 prompt tokens \+ 120 max_new_tokens = 139, more than the model's context of 128/,
  );
  const empty = await collect(handle, request([]));
  assert.equal(empty.done.finishReason, 'error');
  const outside = await collect(handle, request([1, 512]));
  assert.match(outside.done.error!.message, /512 is outside the vocabulary/);
  const none = await collect(handle, request(ids, { maxNewTokens: 0 }));
  assert.deepEqual([none.done.finishReason, none.done.text, none.tokens.length], ['length', '', 0]);
});
