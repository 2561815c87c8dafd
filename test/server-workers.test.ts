import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { tinyRandomModel } from './helpers/models.js';
import { metricValue, postJson, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;

before(async () => {
  server = await startServer({ modelDir: await tinyRandomModel(), model: { workers: 2, maxBatchSize: 2 } });
});
after(() => server.close());

test('two workers serve concurrently while the main thread keeps answering /health/live', async () => {
  const body = {
    input_data: { input_string: ['Go on'], parameters: { max_new_tokens: 400, ignore_eos: true } },
  };
  let generating = true;
  // Four requests over two workers of batch size 2: both workers hold sequences at once.
  const requests = Promise.all(
    Array.from({ length: 4 }, () => postJson(`${server.url}/score`, body)),
  ).finally(() => {
    generating = false;
  });
  let worst = 0;
  let probes = 0;
  while (generating) {
    const start = performance.now();
    const live = await fetch(`${server.url}/health/live`);
    const ms = performance.now() - start;
    assert.equal(live.status, 200);
    assert.ok(ms < 1000, `/health/live took ${ms.toFixed(0)} ms while both workers generated`);
    worst = Math.max(worst, ms);
    probes++;
    await delay(10);
  }
  console.log(`/health/live: ${probes} probes during generation, worst ${worst.toFixed(1)} ms`);
  for (const answer of await requests) assert.equal(answer.status, 200);
  const text = await (await fetch(`${server.url}/metrics`)).text();
  for (const worker of ['0', '1']) {
    const steps = metricValue(text, 'llama_endpoint_batch_size_count', `{worker="${worker}"}`) ?? 0;
    assert.ok(steps > 0, `worker ${worker} ran decode steps`);
  }
  // With batch size 2 both workers held two sequences: some of their steps batched two.
  assert.ok(
    (metricValue(text, 'llama_endpoint_batch_size_bucket', '{le="1",worker="0"}') ?? 0) <
      (metricValue(text, 'llama_endpoint_batch_size_count', '{worker="0"}') ?? 0),
  );
});

test("a worker's own log messages reach the server's log with the worker index: --provider auto says what it chose", async (t) => {
  const auto = await startServer({ modelDir: await tinyRandomModel(), model: { provider: 'auto' } });
  t.after(() => auto.close());
  const ready = auto.logs.find((line) => line.worker === 0 && /^worker ready/.test(String(line.msg)));
  assert.ok(ready, 'the ready line names the worker');
  const chose = auto.logs.find((line) => /^--provider auto chose /.test(String(line.msg)));
  assert.ok(chose, JSON.stringify(auto.logs));
  assert.equal(chose.worker, 0);
  assert.equal(chose.level, 30);
  if (String(ready.msg).includes('(cpu')) {
    // No GPU here: cuda and webgpu are named with why they were passed over.
    assert.match(String(chose.msg), /^--provider auto chose cpu \(not cuda: .*; webgpu: .*\)$/);
  }
});
