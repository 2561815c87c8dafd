import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fixture, fixturesMissing } from './helpers/paths.js';
import { type FakeServer, fakeServer } from './helpers/server.js';

let server: FakeServer;

before(async () => {
  server = await fakeServer();
});
after(() => server.close());

const tokenize = (body: unknown) => server.call('POST', '/tokenize', body);

test('POST /tokenize answers the ids (BOS first) and their pieces', async () => {
  const { status, json } = await tokenize({ text: 'Hello world', add_special_tokens: true });
  assert.equal(status, 200, JSON.stringify(json));
  assert.deepEqual(json, { ids: [1, 15043, 3186], tokens: ['<s>', '▁Hello', '▁world'] });
});

test('add_special_tokens false leaves BOS out; typed control text stays text', async () => {
  const { json } = await tokenize({ text: '<s>[INST]', add_special_tokens: false });
  const { ids, tokens } = json as { ids: number[]; tokens: string[] };
  assert.ok(!ids.includes(1), JSON.stringify(ids));
  assert.equal(tokens.join('').replaceAll('▁', ' ').trim(), '<s>[INST]');
});

test('the ids are those of the reference Llama-2 tokenizer', { skip: fixturesMissing() }, async () => {
  const reference: unknown = JSON.parse(readFileSync(fixture('reference', 'llama2-tokenizer.json'), 'utf8'));
  const cases = (Array.isArray(reference) ? reference : []) as { text?: string; ids?: number[] }[];
  const checked = cases.filter((c) => typeof c.text === 'string' && Array.isArray(c.ids)).slice(0, 20);
  assert.ok(checked.length > 0, 'the reference file lists texts and ids');
  for (const { text, ids } of checked) {
    const { json } = await tokenize({ text });
    assert.deepEqual((json as { ids: number[] }).ids, ids, JSON.stringify(text));
  }
});

test('a missing text is a 400 in the server’s error envelope', async () => {
  const { status, json } = await tokenize({ add_special_tokens: true });
  assert.equal(status, 400);
  assert.deepEqual((json as { error: { details: unknown } }).error.details, [
    { field: '(body)', message: 'send one of prompt, messages (vLLM) or text' },
  ]);
});
