import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { slowRandomModel } from './helpers/models.js';
import { metricValue, postJson, startServer, type TestServer } from './helpers/server.js';

let limited: TestServer;
let impatient: TestServer;

before(async () => {
  const modelDir = await slowRandomModel();
  [limited, impatient] = await Promise.all([
    startServer({ modelDir, maxConcurrentRequests: 4 }),
    startServer({ modelDir, requestTimeoutMs: 250 }),
  ]);
});
after(() => Promise.all([limited.close(), impatient.close()]));

/** A request that keeps a worker busy for a good while (hundreds of decode steps). */
const long = (tokens = 900) => ({
  input_data: {
    input_string: ['Tell me everything'],
    parameters: { max_new_tokens: tokens, ignore_eos: true },
  },
});
const short = { input_data: { input_string: ['Hi'], parameters: { max_new_tokens: 3 } } };
const metrics = async (server: TestServer) => (await fetch(`${server.url}/metrics`)).text();

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

test('with --max-concurrent-requests 4, 20 simultaneous requests: 4 answer 200, 16 answer 429', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => postJson(`${limited.url}/score`, long(600))),
  );
  const statuses = answers.map((a) => a.status).sort();
  assert.deepEqual(statuses, [...Array(4).fill(200), ...Array(16).fill(429)]);
  for (const refused of answers.filter((a) => a.status === 429)) {
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal((refused.json as { error: { code: string } }).error.code, 'TooManyRequests');
  }
  // Afterwards the server answers normally, with every slot free again.
  assert.equal((await postJson(`${limited.url}/score`, short)).status, 200);
  assert.equal(metricValue(await metrics(limited), 'llama_endpoint_requests_in_flight'), 0);
});

test('a client that disconnects mid-generation frees its slot and its batch slot', async () => {
  const text = await metrics(limited);
  const generatedBefore = metricValue(text, 'llama_endpoint_generation_tokens_total') ?? 0;
  const client = new AbortController();
  const pending = fetch(`${limited.url}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(long()),
    signal: client.signal,
  }).catch((err: Error) => err);
  await waitFor(
    'the request to run',
    async () => metricValue(await metrics(limited), 'llama_endpoint_requests_running') === 1,
  );
  client.abort();
  assert.ok((await pending) instanceof Error);
  await waitFor('the slot to be freed', async () => {
    const now = await metrics(limited);
    return (
      metricValue(now, 'llama_endpoint_requests_in_flight') === 0 &&
      metricValue(now, 'llama_endpoint_requests_running') === 0
    );
  });
  const generated =
    (metricValue(await metrics(limited), 'llama_endpoint_generation_tokens_total') ?? 0) - generatedBefore;
  assert.ok(generated < 900, `the sequence was cancelled, not finished (${generated} tokens)`);
  assert.equal((await postJson(`${limited.url}/score`, short)).status, 200);
});

test('a request over --request-timeout-ms answers 408 and the worker goes on serving others', async () => {
  const { status, json } = await postJson(`${impatient.url}/score`, long());
  assert.equal(status, 408);
  const { error } = json as { error: { code: string; message: string } };
  assert.equal(error.code, 'RequestTimeout');
  assert.match(error.message, /250 ms/);
  const after = await postJson(`${impatient.url}/score`, short);
  assert.equal(after.status, 200);
  const text = await metrics(impatient);
  assert.equal(metricValue(text, 'llama_endpoint_requests_running'), 0);
  assert.ok((metricValue(text, 'llama_endpoint_generation_tokens_total') ?? 0) < 900 + 3);
});
