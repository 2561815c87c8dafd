/**
 * vLLM's utility routes, as its tooling calls them: /tokenize (`prompt` or `messages`; `tokens`, `count`,
 * `max_model_len`), /detokenize, /health, /version; the shapes are vLLM's protocol models.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeServer, fakeServer } from './helpers/server.js';

let server: FakeServer;

before(async () => {
  server = await fakeServer();
  const models = await server.call('GET', '/v1/models');
  CONTEXT = (models.json as { data: { max_model_len: number }[] }).data[0]!.max_model_len;
});
after(() => server.close());

const post = (path: string, body: unknown) => server.call('POST', path, body);
let CONTEXT: number;

test('POST /tokenize {prompt}: vLLM’s TokenizeResponse, BOS included by default', async () => {
  const { status, json } = await post('/tokenize', { model: 'any', prompt: 'Hello world' });
  assert.equal(status, 200, JSON.stringify(json));
  assert.deepEqual(json, { count: 3, max_model_len: CONTEXT, tokens: [1, 15043, 3186] });
  const bare = await post('/tokenize', { prompt: 'Hello world', add_special_tokens: false });
  assert.deepEqual(bare.json, { count: 2, max_model_len: CONTEXT, tokens: [15043, 3186] });
  const strs = await post('/tokenize', { prompt: 'Hello world', return_token_strs: true });
  assert.deepEqual((strs.json as { token_strs: string[] }).token_strs, ['<s>', '▁Hello', '▁world']);
});

test('POST /tokenize {messages}: the ids the chat route feeds the model', async () => {
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
  ];
  const { status, json } = await post('/tokenize', { messages, add_generation_prompt: true });
  assert.equal(status, 200, JSON.stringify(json));
  const { count, tokens } = json as { count: number; tokens: number[] };
  assert.equal(count, tokens.length);
  assert.equal(tokens[0], 1, 'the Llama-2 template starts with BOS itself');
  const chat = await post('/v1/chat/completions', { messages, max_tokens: 1 });
  assert.equal((chat.json as { usage: { prompt_tokens: number } }).usage.prompt_tokens, count);
});

test('today’s /tokenize {text} answers as before: ids and their pieces', async () => {
  const { json } = await post('/tokenize', { text: 'Hello world' });
  assert.deepEqual(json, { ids: [1, 15043, 3186], tokens: ['<s>', '▁Hello', '▁world'] });
});

test('/tokenize with neither prompt, messages nor text is a 400 that says which to send', async () => {
  const { status, json } = await post('/tokenize', { add_special_tokens: true });
  assert.equal(status, 400);
  assert.match((json as { error: { message: string } }).error.message, /prompt|messages|text/);
});

test('POST /detokenize: token ids back to text; an id outside the vocabulary is a 400 naming it', async () => {
  const { status, json } = await post('/detokenize', { model: 'any', tokens: [1, 15043, 3186] });
  assert.equal(status, 200, JSON.stringify(json));
  assert.deepEqual(json, { prompt: 'Hello world' });
  const bad = await post('/detokenize', { tokens: [15043, 99999] });
  assert.equal(bad.status, 400);
  assert.equal(
    (bad.json as { error: { details: { field: string }[] } }).error.details[0]!.field,
    'tokens[1]',
  );
});

test('GET /health is 200 with an empty body when ready; GET /version names this server’s version', async () => {
  const health = await server.app.inject({ method: 'GET', url: '/health' });
  assert.equal(health.statusCode, 200);
  assert.equal(health.body, '');
  const version = await server.call('GET', '/version');
  assert.equal(version.status, 200);
  assert.match((version.json as { version: string }).version, /^\d+\.\d+\.\d+/);
});

test('/health and /version are open with keys set; /tokenize and /detokenize need the key', async () => {
  const keyed = await fakeServer({ apiKeys: ['k'] });
  try {
    assert.equal((await keyed.call('GET', '/health')).status, 200);
    assert.equal((await keyed.call('GET', '/version')).status, 200);
    assert.equal((await keyed.call('POST', '/tokenize', { prompt: 'x' })).status, 401);
    assert.equal((await keyed.call('POST', '/detokenize', { tokens: [1] })).status, 401);
  } finally {
    await keyed.close();
  }
});
