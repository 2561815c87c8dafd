/**
 * A client that goes away before its answer is complete still gets its request log line and its
 * `requests_total` sample, with nginx's status 499, for /score and for the streaming routes alike.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { slowRandomModel } from './helpers/models.js';
import { metricValue, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;

before(async () => {
  server = await startServer({ modelDir: await slowRandomModel() });
});
after(() => server.close());

const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
const closedSamples = async (route: string) =>
  metricValue(
    await metrics(),
    'llama_endpoint_requests_total',
    `{route="${route}",method="POST",status="499"}`,
  ) ?? 0;

async function waitFor<T>(what: string, find: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Sends `body`, waits until `started` says the generation is under way, then drops the connection. */
async function disconnectMidway(
  route: string,
  body: unknown,
  started: (response: Promise<Response>) => Promise<unknown>,
): Promise<void> {
  const client = new AbortController();
  const response = fetch(`${server.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: client.signal,
  });
  await started(response);
  client.abort();
  await response.catch(() => {});
}

/** The 499 log line of a route (each test leaves each route once). */
const logLine = (route: string) =>
  waitFor(`the ${route} log line`, async () =>
    server.logs.find(
      (line) => line.msg === 'request completed' && line.route === route && line.status === 499,
    ),
  );

test('a /score client that disconnects mid-generation is logged and counted with status 499', async () => {
  const before = await closedSamples('/score');
  const e2eBefore = metricValue(
    await metrics(),
    'llama_endpoint_e2e_request_latency_seconds_count',
    '{route="/score"}',
  );
  // /score answers only at the end: the client leaves once its sequence runs.
  await disconnectMidway(
    '/score',
    {
      input_data: {
        input_string: ['Tell me everything'],
        parameters: { max_new_tokens: 900, ignore_eos: true },
      },
    },
    () =>
      waitFor('the request to run', async () =>
        metricValue(await metrics(), 'llama_endpoint_requests_running') === 1 ? true : undefined,
      ),
  );
  const line = await logLine('/score');
  assert.equal(line.method, 'POST');
  assert.equal(typeof line.requestId, 'string');
  const generated = line.generatedTokens as number;
  assert.ok(generated < 900, `the cancelled sequence's tokens are counted (${generated})`);
  assert.ok((line.promptTokens as number) > 0);
  assert.equal(await closedSamples('/score'), before + 1);
  const text = await metrics();
  assert.equal(metricValue(text, 'llama_endpoint_requests_in_flight'), 0);
  // The client did not wait for an answer: its wait is not an end-to-end latency.
  assert.equal(
    metricValue(text, 'llama_endpoint_e2e_request_latency_seconds_count', '{route="/score"}'),
    e2eBefore,
  );
});

test('streaming clients of /v1/completions and /v1/chat/completions that leave are logged with 499', async () => {
  const readTwoChunks = async (answer: Promise<Response>) => {
    const response = await answer;
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    for (let chunks = 0; chunks < 2; ) {
      const { done } = await reader.read();
      if (done) throw new Error('the stream ended before the client left');
      chunks++;
    }
  };
  await disconnectMidway(
    '/v1/completions',
    { model: 'x', prompt: 'Once upon a time', max_tokens: 900, ignore_eos: true, stream: true },
    readTwoChunks,
  );
  await disconnectMidway(
    '/v1/chat/completions',
    {
      model: 'x',
      messages: [{ role: 'user', content: 'Go on' }],
      max_tokens: 900,
      ignore_eos: true,
      stream: true,
    },
    readTwoChunks,
  );
  for (const route of ['/v1/completions', '/v1/chat/completions']) {
    const line = await logLine(route);
    const generated = line.generatedTokens as number;
    assert.ok(generated >= 1 && generated < 900, `${route}: ${generated} tokens before the client left`);
    assert.equal(await closedSamples(route), 1);
  }
  // The streams' 200 headers had gone out, but no request was counted with 200.
  assert.equal(
    metricValue(
      await metrics(),
      'llama_endpoint_requests_total',
      '{route="/v1/completions",method="POST",status="200"}',
    ),
    undefined,
  );
});

test('a request answered in full is logged once, with its own status', async () => {
  const response = await fetch(`${server.url}/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input_data: { input_string: ['Hi'], parameters: { max_new_tokens: 2 } } }),
  });
  assert.equal(response.status, 200);
  const id = response.headers.get('x-request-id');
  const lines = await waitFor('the log line', async () => {
    const found = server.logs.filter((line) => line.msg === 'request completed' && line.requestId === id);
    return found.length > 0 ? found : undefined;
  });
  await delay(50);
  assert.equal(
    server.logs.filter((line) => line.msg === 'request completed' && line.requestId === id).length,
    1,
  );
  assert.equal(lines[0]!.status, 200);
  assert.equal(lines[0]!.generatedTokens, 2);
});
