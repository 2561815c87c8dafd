/**
 * What Azure ML callers send that the contract did not take: `null` parameters (Python's None), `max_length`
 * (prompt + new tokens, as Hugging Face counts it), and the `azureml-model-deployment` routing header.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KNOWN_SCORE_PARAMETERS } from '../schemas/score-parameters.js';
import { type FakeServer, fakeServer } from './helpers/server.js';

let server: FakeServer;

before(async () => {
  server = await fakeServer({ deploymentName: 'blue' });
});
after(() => server.close());

const score = (body: unknown, headers: Record<string, string> = {}) =>
  server.call('POST', '/score', body, headers);
const promptTokens = async (text: string) =>
  ((await server.call('POST', '/tokenize', { text })).json as { ids: number[] }).ids.length;

test('null means "not given" for every /score parameter, and for parameters and params themselves', async () => {
  const nulls = Object.fromEntries([...KNOWN_SCORE_PARAMETERS].map((name) => [name, null]));
  assert.ok(Object.keys(nulls).length >= 16);
  const given = await score({ input_data: { input_string: ['Hello'], parameters: nulls } });
  const absent = await score({ input_data: { input_string: ['Hello'], parameters: {} } });
  assert.equal(given.status, 200, JSON.stringify(given.json));
  assert.deepEqual(given.json, absent.json);
  assert.equal(given.headers.get('x-ms-ignored-parameters'), null, 'known parameters are not ignored ones');
  const noParameters = await score({ input_data: { input_string: ['Hello'], parameters: null } });
  assert.deepEqual(noParameters.json, absent.json);
  const list = await score({ input_data: ['Hello'], params: null });
  assert.equal(list.status, 200, JSON.stringify(list.json));
  const wrong = await score({ input_data: { input_string: ['Hello'], parameters: { top_p: 'high' } } });
  assert.equal(wrong.status, 400, 'a value of the wrong type is still refused');
});

test('max_length counts the prompt: each prompt gets max_length minus its own tokens', async () => {
  const prompts = ['Hello', 'The quick brown fox jumps'];
  const lengths = await Promise.all(prompts.map(promptTokens));
  assert.notEqual(lengths[0], lengths[1]);
  const maxLength = Math.max(...lengths) + 4;
  const { status, json } = await score({
    input_data: { input_string: prompts, parameters: { max_length: maxLength, return_full_text: false } },
  });
  assert.equal(status, 200, JSON.stringify(json));
  const record = (json as Record<string, string>[])[0]!;
  for (const [i, prompt] of prompts.entries()) {
    const alone = await score({
      input_data: {
        input_string: [prompt],
        parameters: { max_new_tokens: maxLength - lengths[i]!, return_full_text: false },
      },
    });
    assert.equal(record[String(i)], (alone.json as Record<string, string>[])[0]!['0'], prompt);
  }
});

test('max_new_tokens (or max_gen_len) wins over max_length, as in Hugging Face generate', async () => {
  const body = (parameters: object) => ({
    input_data: { input_string: ['Hello'], parameters: { ...parameters, return_full_text: false } },
  });
  const both = await score(body({ max_new_tokens: 3, max_length: 40 }));
  const alone = await score(body({ max_new_tokens: 3 }));
  assert.deepEqual(both.json, alone.json);
  const genLen = await score(body({ max_gen_len: 3, max_length: 40 }));
  assert.deepEqual(genLen.json, alone.json);
});

test('a max_length the prompt already fills is a 400 naming the field and both numbers', async () => {
  const length = await promptTokens('The quick brown fox jumps');
  const { status, json } = await score({
    input_data: ['Hello', 'The quick brown fox jumps'],
    params: { max_length: length },
  });
  assert.equal(status, 400);
  const { error } = json as { error: { message: string; details: { field: string }[] } };
  assert.equal(error.details[0]!.field, 'params.max_length');
  assert.match(error.message, new RegExp(`${length}.*prompt.*input_data\\[1\\].*${length} tokens`));
});

test('azureml-model-deployment routes as Azure’s front end does: another deployment’s name is a 404', async () => {
  const body = { input_data: ['Hello'], params: { max_new_tokens: 2 } };
  for (const name of ['blue', 'BLUE']) {
    const answer = await score(body, { 'azureml-model-deployment': name });
    assert.equal(answer.status, 200, name);
    assert.equal(answer.headers.get('azureml-model-deployment'), 'blue');
  }
  const green = await score(body, { 'azureml-model-deployment': 'green' });
  assert.equal(green.status, 404);
  assert.deepEqual((green.json as { error: { code: string; message: string } }).error, {
    code: 'NotFound',
    message: "no deployment named 'green' on this endpoint; it serves 'blue'",
  });
  assert.equal(
    (await server.call('GET', '/health/live', undefined, { 'azureml-model-deployment': 'green' })).status,
    200,
    'probes are the container’s, not routed',
  );
  assert.equal(
    (await score(body)).status,
    200,
    'no header: the endpoint’s traffic rules, here its one deployment',
  );
});
