import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GREEDY } from '../src/engine/generation-params.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import type { SequenceEvent, SequenceSpec } from '../src/scheduler/sequence-event.js';
import { WorkerPool } from '../src/scheduler/worker-pool.js';
import { slowRandomModel } from './helpers/models.js';

let pool: WorkerPool;
let scheduler: Scheduler;

before(async () => {
  const modelDir = await slowRandomModel();
  // One worker holding one sequence at a time: the order sequences finish in is the order they were served.
  pool = new WorkerPool(1, {
    modelDir,
    provider: 'cpu',
    intraOpThreads: 1,
    maxBatchSize: 1,
    prefillChunkTokens: 512,
  });
  scheduler = new Scheduler(pool, 1);
  await pool.ready();
});
after(() => pool.close());

const spec = (maxNewTokens: number): SequenceSpec => ({
  promptIds: [1, 450, 4799],
  sampling: GREEDY,
  stopping: { maxNewTokens, stop: [], ignoreEos: true },
});

async function collect(events: AsyncIterable<SequenceEvent>): Promise<SequenceEvent[]> {
  const all: SequenceEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

test('each sequence yields its tokens, then one done whose text is the tokens joined', async () => {
  const events = await collect(scheduler.generate([spec(5), spec(3)]));
  for (const index of [0, 1]) {
    const own = events.filter((e) => e.index === index);
    const done = own.at(-1)!;
    assert.equal(done.type, 'done');
    if (done.type !== 'done') return;
    const tokens = own.filter((e) => e.type === 'token');
    assert.equal(tokens.length, index === 0 ? 5 : 3);
    assert.equal(done.generatedTokens, tokens.length);
    assert.equal(done.finishReason, 'length');
    assert.equal(tokens.map((t) => (t.type === 'token' ? t.text : '')).join(''), done.text);
    assert.equal(done.promptTokens, 3);
  }
});

test('the queue is first come, first served', async () => {
  const finished: number[] = [];
  const requests = [0, 1, 2, 3].map(async (n) => {
    await collect(scheduler.generate([spec(4)]));
    finished.push(n);
  });
  await Promise.all(requests);
  assert.deepEqual(finished, [0, 1, 2, 3]);
});

test('a timeout ends running and queued sequences with finish reason timeout', async () => {
  const events = await collect(scheduler.generate([spec(900), spec(900)], { timeoutMs: 50 }));
  const done = events.filter((e) => e.type === 'done');
  assert.equal(done.length, 2);
  for (const d of done) if (d.type === 'done') assert.equal(d.finishReason, 'timeout');
  assert.equal(scheduler.running + scheduler.waiting, 0);
});

test('an abort signal cancels; stopping the iteration early cancels too', async () => {
  const client = new AbortController();
  const events = scheduler.generate([spec(900)], { signal: client.signal });
  const first = await events.next();
  assert.equal(first.value?.type, 'token');
  client.abort();
  const rest = await collect(events);
  const done = rest.at(-1);
  assert.equal(done?.type === 'done' && done.finishReason, 'cancelled');

  for await (const event of scheduler.generate([spec(900)])) {
    assert.equal(event.type, 'token');
    break;
  }
  // The worker frees the slot at its next step boundary; the next request then gets it.
  const after = await collect(scheduler.generate([spec(2)]));
  assert.equal(after.filter((e) => e.type === 'token').length, 2);
});

test('finished resolves with every sequence’s done, in order, also after the consumer stopped early', async () => {
  const generation = scheduler.generate([spec(900), spec(900)]);
  const first = await generation.next();
  assert.equal(first.value?.type, 'token');
  await generation.return();
  // The consumer is gone; the sequences (one running, one queued) still end and are accounted for.
  const done = await generation.finished;
  assert.deepEqual(
    done.map((d) => [d.index, d.finishReason]),
    [
      [0, 'cancelled'],
      [1, 'cancelled'],
    ],
  );
  assert.ok(done[0]!.generatedTokens >= 1 && done[0]!.generatedTokens < 900);
  assert.equal(done[1]!.generatedTokens, 0);

  const whole = scheduler.generate([spec(2)]);
  const events = await collect(whole);
  assert.deepEqual(
    await whole.finished,
    events.filter((e) => e.type === 'done'),
  );
});
