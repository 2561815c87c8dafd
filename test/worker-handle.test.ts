import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { GenerationRequest } from '../src/engine/generation-params.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import type { WorkerSequenceEvent } from '../src/worker/handle.js';
import { tinyRandomModel } from './helpers/models.js';
import { collect, type DoneEvent, recordSteps, request, startWorker } from './helpers/worker-runs.js';

let modelDir: string;
let scratch: string;
let prompt: number[];

before(async () => {
  modelDir = await tinyRandomModel();
  prompt = (await loadTokenizer(modelDir)).encode('Hello there');
  scratch = await mkdtemp(join(tmpdir(), 'worker-handle-'));
});

after(() => rm(scratch, { recursive: true, force: true }));

test('a model that fails to load rejects ready with the reason', async () => {
  const missing = startWorker(join(scratch, 'no-such-model'));
  await assert.rejects(missing.ready, /config\.json/);

  const broken = join(scratch, 'broken');
  await cp(modelDir, broken, { recursive: true });
  await writeFile(join(broken, 'model.onnx'), 'not a protobuf');
  const handle = startWorker(broken);
  const exits: Error[] = [];
  handle.on('exit', (err) => exits.push(err));
  // The worker's own message, on one line, not a generic exit.
  await assert.rejects(
    handle.ready,
    (err: Error) => /protobuf/i.test(err.message) && !err.message.includes('\n'),
  );
  // The thread ends by itself after a failed load (shutdown just waits for that); it is not a crash.
  await handle.shutdown();
  assert.deepEqual(exits, []);
});

test('shutdown lets in-flight sequences finish, then the worker exits', async () => {
  const handle = startWorker(modelDir);
  await handle.ready;
  const exits: Error[] = [];
  handle.on('exit', (err) => exits.push(err));
  const runs = [1, 2, 3].map(() => collect(handle, request(prompt, { maxNewTokens: 40, ignoreEos: true })));
  await handle.shutdown();
  for (const run of await Promise.all(runs)) {
    assert.equal(run.done.finishReason, 'length');
    assert.equal(run.tokens.length, 40);
  }
  assert.equal(handle.inFlight, 0);
  assert.deepEqual(exits, []);
});

test('terminate ends in-flight sequences with an error', async () => {
  const handle = startWorker(modelDir);
  await handle.ready;
  const run = collect(handle, request(prompt, { maxNewTokens: 1000, ignoreEos: true }), (_, count) => {
    if (count === 3) void handle.terminate();
  });
  const { done } = await run;
  assert.equal(done.finishReason, 'error');
  assert.match(done.error!.message, /worker ended/);
});

test('a worker that crashes fails what it held and reports the exit', async () => {
  const handle = startWorker(modelDir);
  await handle.ready;
  const exited = new Promise<Error>((resolve) => handle.on('exit', resolve));
  const running = collect(handle, request(prompt, { maxNewTokens: 1000, ignoreEos: true }));
  // A request no validator would pass: the loop throws on it, outside any step, and the thread dies.
  const malformed = { id: 'bad', promptIds: [1, 2, 3] } as unknown as GenerationRequest;
  const crashed = collect(handle, malformed);
  const held = (await running).done;
  assert.equal(held.finishReason, 'error');
  // The worker never sent this 'done': the handle reports what it was sent, the prompt's length.
  assert.equal(held.promptTokens, prompt.length);
  assert.equal((await crashed).done.finishReason, 'error');
  assert.equal((await crashed).done.promptTokens, 3);
  assert.ok((await exited).message.length > 0);
  assert.equal(handle.inFlight, 0);
});

test('submitting an id already in flight throws', async () => {
  const handle = startWorker(modelDir);
  try {
    await handle.ready;
    const req = request(prompt, { maxNewTokens: 20 });
    const run = collect(handle, req);
    assert.throws(() => handle.submit(req, () => {}), /already in this worker/);
    assert.equal((await run).done.finishReason, 'length');
  } finally {
    await handle.shutdown();
  }
});

test('without streamTokens a sequence sends only its done: the same text, its token timings, every step', async () => {
  const handle = startWorker(modelDir);
  try {
    await handle.ready;
    const stopping = { maxNewTokens: 12, ignoreEos: true };
    const streamed = await collect(handle, request(prompt, stopping));
    const steps = recordSteps(handle);
    const events: WorkerSequenceEvent[] = [];
    await new Promise<void>((resolve) =>
      handle.submit(
        request(prompt, stopping),
        (event) => {
          events.push(event);
          if (event.type === 'done') resolve();
        },
        false,
      ),
    );
    assert.deepEqual(
      events.map((event) => event.type),
      ['done'],
    );
    const done = events[0] as DoneEvent;
    assert.equal(done.text, streamed.done.text);
    assert.equal(done.generatedTokens, 12);
    assert.ok(done.timings.firstTokenMs !== undefined);
    assert.equal(done.timings.interTokenMs.length, 11);
    // The prefill gives the first token and 11 decode steps the rest; their reports, held back while nothing
    // else was sent, arrive with the 'done' at the latest.
    assert.equal(steps.length, 11);
  } finally {
    await handle.shutdown();
  }
});
