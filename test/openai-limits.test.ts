/**
 * The /v1 routes go through the server's own admission, auth, timeout and cancellation: a streaming client
 * that goes away frees its batch slot, a full server answers 429, a slow generation 408 (or, once a stream
 * has started, an error event the client raises).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { slowRandomModel } from './helpers/models.js';
import { metricValue, startServer, type TestServer } from './helpers/server.js';

const KEY = 'test-key-1';
let server: TestServer;
let client: OpenAI;

before(async () => {
  server = await startServer({ modelDir: await slowRandomModel(), apiKeys: [KEY], maxConcurrentRequests: 1 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY, maxRetries: 0 });
});
after(() => server.close());

/** A thousand tokens past EOS on the slow model: a generation that outlasts what the tests do meanwhile. */
const LONG = { model: 'x', prompt: 'Once upon a time', max_tokens: 1000, ignore_eos: true } as const;

async function metrics(): Promise<string> {
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
  return response.text();
}

/** Polls until the server holds no request and no sequence (or gives up after 20 s, a liveness bound). */
async function settled(): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const text = await metrics();
    const busy =
      (metricValue(text, 'llama_endpoint_requests_in_flight') ?? 1) +
      (metricValue(text, 'llama_endpoint_requests_running') ?? 1);
    if (busy === 0) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server still holds a request');
}

test('the API key is required, and a wrong one is an AuthenticationError', async () => {
  const anonymous = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(anonymous.models.list(), (err: unknown) => {
    assert.ok(err instanceof OpenAI.AuthenticationError);
    assert.equal(err.type, 'authentication_error');
    assert.equal(err.headers.get('www-authenticate'), 'Bearer');
    return true;
  });
  assert.equal((await client.models.list()).data.length, 1);
});

test('a streaming client that disconnects mid-way frees its batch slot and the server keeps serving', async () => {
  const tokensBefore = metricValue(await metrics(), 'llama_endpoint_generation_tokens_total') ?? 0;
  const stream = await client.completions.create({ ...LONG, stream: true });
  let chunks = 0;
  for await (const chunk of stream) {
    if (chunk.choices[0]?.text) chunks++;
    // While it runs, the only admission slot is taken: the next request is refused with 429.
    if (chunks === 2) {
      await assert.rejects(
        client.completions.create({ model: 'x', prompt: 'hi', max_tokens: 1 }),
        (err: unknown) => err instanceof OpenAI.RateLimitError && err.headers.get('retry-after') === '1',
      );
    }
    if (chunks === 3) break; // the client's break aborts its HTTP request
  }
  const after = await settled();
  const generated = (metricValue(after, 'llama_endpoint_generation_tokens_total') ?? 0) - tokensBefore;
  assert.ok(generated >= 3 && generated < LONG.max_tokens, `the sequence stopped early: ${generated} tokens`);

  const next = await client.completions.create({ model: 'x', prompt: 'hi', max_tokens: 3, stream: false });
  assert.equal(
    next.choices[0]!.finish_reason === 'length' || next.choices[0]!.finish_reason === 'stop',
    true,
  );
  await settled();
});

test('the request timeout answers 408 before a stream starts, and an error event once it has', async (t) => {
  const slow = await startServer({ modelDir: await slowRandomModel(), requestTimeoutMs: 1 });
  t.after(() => slow.close());
  const impatient = new OpenAI({ baseURL: `${slow.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  await assert.rejects(impatient.completions.create({ ...LONG, stream: false }), (err: unknown) => {
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, 408);
    assert.equal(err.type, 'timeout_error');
    return true;
  });
  const stream = await impatient.chat.completions.create({
    model: 'x',
    messages: [{ role: 'user', content: 'Tell me a long story.' }],
    stream: true,
    max_tokens: 900,
    ignore_eos: true,
  } as OpenAI.ChatCompletionCreateParamsStreaming);
  await assert.rejects(
    async () => {
      for await (const _chunk of stream);
    },
    (err: unknown) => err instanceof OpenAI.APIError && /request timeout of 1 ms/.test(err.message),
  );
});
