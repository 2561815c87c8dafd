/**
 * The OpenAI-compatible routes driven by the official `openai` npm client against a real server (real worker
 * thread, real ONNX Runtime session, HTTP on 127.0.0.1), with the tiny random model and the real Llama-2
 * tokenizer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { tinyRandomModel } from './helpers/models.js';
import { metricValue, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let client: OpenAI;

before(async () => {
  server = await startServer({ modelDir: await tinyRandomModel() });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(() => server.close());

const PROMPT = 'I believe the meaning of life is';

/** vLLM's extra parameters, which the server takes and the client's types do not know. */
interface VllmExtras {
  ignore_eos?: boolean;
}

/** A completion request without the fields each call sets itself. */
type CompletionParams = Omit<OpenAI.CompletionCreateParamsNonStreaming, 'model' | 'stream'> & VllmExtras;

/** The streamed texts of one completion, chunk by chunk, and the final chunk's fields. */
async function streamCompletion(params: CompletionParams) {
  const stream = await client.completions.create({ model: 'llama', stream: true, ...params });
  const texts: string[] = [];
  const finishReasons: (string | null)[] = [];
  let usage: OpenAI.CompletionUsage | null | undefined;
  const ids = new Set<string>();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    for (const choice of chunk.choices) {
      if (choice.text !== '') texts.push(choice.text);
      if (choice.finish_reason) finishReasons.push(choice.finish_reason);
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { texts, finishReasons, usage, ids };
}

test('GET /v1/models lists the served model (the model directory name)', async () => {
  const models = [];
  for await (const model of client.models.list()) models.push(model);
  assert.equal(models.length, 1);
  assert.match(models[0]!.id, /^tiny-random-/);
  assert.equal(models[0]!.object, 'model');
  assert.equal((models[0] as unknown as { max_model_len: number }).max_model_len, 1024);
});

test('completions: OpenAI response shape, usage, and the streamed text equals the non-streamed text', async () => {
  const params: CompletionParams = {
    prompt: PROMPT,
    max_tokens: 12,
    seed: 42,
    temperature: 0.9,
    ignore_eos: true,
  };
  const whole = await client.completions.create({ model: 'llama', ...params, stream: false });
  assert.match(whole.id, /^cmpl-/);
  assert.equal(whole.object, 'text_completion');
  assert.ok(Number.isInteger(whole.created) && Math.abs(whole.created - Date.now() / 1000) < 600);
  assert.match(whole.model, /^tiny-random-/);
  assert.equal(whole.choices.length, 1);
  const [choice] = whole.choices;
  assert.equal(choice!.finish_reason, 'length');
  assert.ok(choice!.text.length > 0);
  const promptTokens = (await tokenize(PROMPT)).length;
  assert.deepEqual(whole.usage, {
    prompt_tokens: promptTokens,
    completion_tokens: 12,
    total_tokens: promptTokens + 12,
  });

  const streamed = await streamCompletion({ ...params, stream_options: { include_usage: true } });
  assert.equal(streamed.texts.join(''), choice!.text);
  assert.ok(streamed.texts.length > 1, 'one chunk per token, not one at the end');
  assert.deepEqual(streamed.finishReasons, ['length']);
  assert.deepEqual(streamed.usage, whole.usage);
  assert.equal(streamed.ids.size, 1);
});

test('chat: the Llama-2 template, streamed deltas join to the non-streamed message', async () => {
  const params = {
    model: 'llama',
    messages: [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: 'Name a colour.' },
    ],
    max_tokens: 10,
    seed: 3,
  };
  const whole = await client.chat.completions.create(params);
  assert.match(whole.id, /^chatcmpl-/);
  assert.equal(whole.object, 'chat.completion');
  const message = whole.choices[0]!.message;
  assert.equal(message.role, 'assistant');
  assert.ok(['stop', 'length'].includes(whole.choices[0]!.finish_reason));
  assert.equal(
    message.content,
    message.content?.trimStart(),
    'the template’s leading space is not part of the answer',
  );
  assert.ok(whole.usage!.prompt_tokens > 10);

  const stream = await client.chat.completions.create({ ...params, stream: true });
  let content = '';
  let role: string | undefined;
  let finish: string | null = null;
  for await (const chunk of stream) {
    role ??= chunk.choices[0]?.delta.role;
    content += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(role, 'assistant');
  assert.equal(content, message.content);
  assert.equal(finish, whole.choices[0]!.finish_reason);
});

test('a list of prompts answers one choice per prompt, in order', async () => {
  const whole = await client.completions.create({
    model: 'x',
    prompt: ['The cat', 'Once upon'],
    max_tokens: 4,
    temperature: 0,
  });
  assert.deepEqual(
    whole.choices.map((c) => c.index),
    [0, 1],
  );
  const alone = await client.completions.create({
    model: 'x',
    prompt: 'Once upon',
    max_tokens: 4,
    temperature: 0,
  });
  assert.equal(whole.choices[1]!.text, alone.choices[0]!.text);
});

test('a stop string spanning two tokens is cut exactly and never shows in any streamed chunk', async () => {
  const params: CompletionParams = {
    prompt: PROMPT,
    max_tokens: 24,
    temperature: 0,
    ignore_eos: true,
  };
  const free = await streamCompletion(params);
  // The last two characters of one token's text and the first two of the next: a string no single token holds.
  const k = free.texts.findIndex(
    (text, i) => i > 0 && text.length >= 2 && (free.texts[i + 1]?.length ?? 0) >= 2,
  );
  assert.ok(k > 0, `no two neighbouring tokens of 2+ characters in ${JSON.stringify(free.texts)}`);
  const stop = free.texts[k]!.slice(-2) + free.texts[k + 1]!.slice(0, 2);
  const full = free.texts.join('');
  const expected = full.slice(0, full.indexOf(stop));

  const whole = await client.completions.create({ model: 'x', ...params, stop, stream: false });
  assert.equal(whole.choices[0]!.text, expected);
  assert.equal(whole.choices[0]!.finish_reason, 'stop');

  const streamed = await streamCompletion({ ...params, stop: [stop, 'never-there'] });
  assert.equal(streamed.texts.join(''), expected);
  assert.deepEqual(streamed.finishReasons, ['stop']);
  for (const text of streamed.texts) assert.ok(!text.includes(stop), text);
});

test('errors answer OpenAI’s envelope, which the client raises with status, param and code', async () => {
  await assert.rejects(client.completions.create({ model: 'x', prompt: 'hi', n: 2 }), (err: unknown) => {
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.status, 400);
    assert.equal(err.param, 'n');
    assert.equal(err.code, 'BadRequest');
    assert.equal(err.type, 'invalid_request_error');
    return true;
  });
  await assert.rejects(
    client.chat.completions.create({ model: 'x', messages: [{ role: 'assistant', content: 'hi' }] }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'messages[0].role',
  );
  await assert.rejects(
    client.completions.create({ model: 'x', prompt: 'hi', max_tokens: 5000 }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && /1024/.test(err.message),
  );
  const missing = await fetch(`${server.url}/v1/nothing-here`);
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { type: string } }).error.type, 'not_found_error');
});

test('time to first token and inter-token latency are measured for streamed requests', async () => {
  const before = await (await fetch(`${server.url}/metrics`)).text();
  await streamCompletion({ prompt: PROMPT, max_tokens: 6, ignore_eos: true });
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const count = (body: string, name: string) => metricValue(body, `${name}_count`) ?? 0;
  assert.equal(
    count(text, 'llama_endpoint_time_to_first_token_seconds') -
      count(before, 'llama_endpoint_time_to_first_token_seconds'),
    1,
  );
  assert.equal(
    count(text, 'llama_endpoint_inter_token_latency_seconds') -
      count(before, 'llama_endpoint_inter_token_latency_seconds'),
    5,
  );
  assert.ok(
    text.includes('llama_endpoint_requests_total{route="/v1/completions",method="POST",status="200"}'),
  );
});

async function tokenize(text: string): Promise<number[]> {
  const response = await fetch(`${server.url}/tokenize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  return ((await response.json()) as { ids: number[] }).ids;
}
