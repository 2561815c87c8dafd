import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tinyRandomModel } from './helpers/models.js';
import { metricValue, postJson, startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let score: string;

before(async () => {
  server = await startServer({ modelDir: await tinyRandomModel(), deploymentName: 'llama-2-13b-1' });
  score = `${server.url}/score`;
});
after(() => server.close());

const PROMPT = 'I believe the meaning of life is';
const form1 = (prompts: unknown[], parameters: Record<string, unknown> = {}) => ({
  input_data: { input_string: prompts, parameters },
});
/** The continuation only, greedy: the deterministic baseline other tests cut and compare. */
const greedy = async (parameters: Record<string, unknown>) => {
  const { status, json } = await postJson(score, form1([PROMPT], { return_full_text: false, ...parameters }));
  assert.equal(status, 200, JSON.stringify(json));
  return (json as Record<string, string>[])[0]!['0']!;
};
const lastLog = () => server.logs.filter((line) => line.msg === 'request completed').at(-1)!;

test('the README sample request answers one record whose text starts with the prompt', async () => {
  const { status, json, headers } = await postJson(score, {
    input_data: {
      input_string: [PROMPT],
      parameters: { top_p: 0.9, temperature: 0.7, max_new_tokens: 50, do_sample: true },
    },
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.ok(Array.isArray(json) && json.length === 1);
  const record = json[0] as Record<string, string>;
  assert.deepEqual(Object.keys(record), ['0']);
  assert.ok(record['0']!.startsWith(PROMPT));
  assert.ok(record['0']!.length > PROMPT.length);
  assert.equal(headers.get('azureml-model-deployment'), 'llama-2-13b-1');
  assert.match(headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(headers.get('x-ms-ignored-parameters'), null);
});

test('three prompts answer one record with keys "0", "1", "2", each its own prompt first', async () => {
  const prompts = ['The cat', 'Once upon a time', 'In 1492'];
  const { status, json } = await postJson(score, form1(prompts, { max_new_tokens: 5 }));
  assert.equal(status, 200, JSON.stringify(json));
  assert.equal((json as unknown[]).length, 1);
  const record = (json as Record<string, string>[])[0]!;
  assert.deepEqual(Object.keys(record), ['0', '1', '2']);
  for (const [i, prompt] of prompts.entries())
    assert.ok(record[String(i)]!.startsWith(prompt), record[String(i)]);
});

test('the second form answers a bare list, in prompt order', async () => {
  const { status, json } = await postJson(score, {
    input_data: ['Hello', 'Goodbye'],
    params: { max_new_tokens: 4 },
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.ok(Array.isArray(json) && json.length === 2);
  assert.ok((json[0] as string).startsWith('Hello'));
  assert.ok((json[1] as string).startsWith('Goodbye'));
});

test('the chat form answers {"output"} without the prompt', async () => {
  const { status, json } = await postJson(
    score,
    form1(
      [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Name a colour.' },
        { role: 'assistant', content: 'Blue.' },
        { role: 'user', content: 'Another one?' },
      ],
      { max_new_tokens: 8 },
    ),
  );
  assert.equal(status, 200, JSON.stringify(json));
  const { output } = json as { output: string };
  assert.equal(typeof output, 'string');
  assert.deepEqual(Object.keys(json as object), ['output']);
  assert.ok(!output.includes('Another one?') && !output.includes('[INST]'));
  // The chat prompt (BOS/EOS around each exchange) was counted in the request's log line.
  assert.ok((lastLog().promptTokens as number) > 20);
});

test('return_full_text true is the prompt verbatim followed by the continuation', async () => {
  const continuation = await greedy({ max_new_tokens: 10 });
  const { json } = await postJson(score, form1([PROMPT], { max_new_tokens: 10 }));
  assert.equal((json as Record<string, string>[])[0]!['0'], PROMPT + continuation);
});

test('max_new_tokens is honoured exactly (EOS ignored) and the alias max_gen_len works', async () => {
  await greedy({ max_new_tokens: 13, ignore_eos: true });
  assert.equal(lastLog().generatedTokens, 13);
  await greedy({ max_gen_len: 7, ignore_eos: true });
  assert.equal(lastLog().generatedTokens, 7);
});

test('stop cuts the text before the stop string', async () => {
  const full = await greedy({ max_new_tokens: 24 });
  const stop = full.slice(8, 12);
  assert.equal(stop.length, 4, `continuation too short: ${JSON.stringify(full)}`);
  const cut = await greedy({ max_new_tokens: 24, stop: [stop, 'never-appears'] });
  assert.equal(cut, full.slice(0, full.indexOf(stop)));
  assert.equal(await greedy({ max_new_tokens: 24, stop }), cut);
});

test('the same seed repeats the same sampled text; another seed gives another', async () => {
  const sampled = (seed: number) => greedy({ do_sample: true, temperature: 1, max_new_tokens: 20, seed });
  const first = await sampled(42);
  assert.equal(await sampled(42), first);
  assert.notEqual(await sampled(43), first);
});

test('unknown parameters are ignored and named in x-ms-ignored-parameters', async () => {
  const { status, headers } = await postJson(
    score,
    form1(['Hi'], { max_new_tokens: 2, foo: 1, watermark: true }),
  );
  assert.equal(status, 200);
  assert.equal(headers.get('x-ms-ignored-parameters'), 'foo,watermark');
});

test('one info log line per request with counts and timings, and no prompt text', async () => {
  const secret = 'zebra-marmalade-7731';
  const before = server.logs.length;
  await postJson(score, form1([secret], { max_new_tokens: 3, ignore_eos: true }));
  const lines = server.logs.slice(before);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  const line = lines[0]!;
  assert.equal(line.status, 200);
  assert.equal(line.generatedTokens, 3);
  assert.ok((line.promptTokens as number) > 1);
  for (const key of ['requestId', 'queueMs', 'timeToFirstTokenMs', 'totalMs']) assert.ok(key in line, key);
  assert.ok(!JSON.stringify(server.logs).includes(secret));
});

test('/score answers whole, yet its tokens are timed: time to first token, inter-token latency, batch sizes', async () => {
  const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
  const counts = (text: string) =>
    [
      'llama_endpoint_time_to_first_token_seconds_count',
      'llama_endpoint_inter_token_latency_seconds_count',
      'llama_endpoint_batch_size_count',
    ].map(
      (name) => metricValue(text, name, name.startsWith('llama_endpoint_batch') ? '{worker="0"}' : '') ?? 0,
    );
  const before = counts(await metrics());
  const { status } = await postJson(score, form1(['Once', 'Twice'], { max_new_tokens: 7, ignore_eos: true }));
  assert.equal(status, 200);
  const added = counts(await metrics()).map((count, i) => count - before[i]!);
  // Two sequences of 7 tokens: 2 first tokens, 2 × 6 gaps; both prefilled together, then 6 decode steps.
  assert.deepEqual(added, [2, 12, 6]);
});

test('health: GET / answers "healthy" as JSON, live and ready answer 200', async () => {
  const root = await fetch(`${server.url}/`);
  assert.equal(root.status, 200);
  assert.equal(await root.json(), 'healthy');
  assert.equal((await fetch(`${server.url}/health/live`)).status, 200);
  const ready = await fetch(`${server.url}/health/ready`);
  assert.deepEqual(await ready.json(), { status: 'ready', workersReady: 1, workers: 1 });
});
