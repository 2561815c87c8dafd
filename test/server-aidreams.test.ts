import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ServedAidreams, servedAidreams } from './helpers/aidreams.js';
import { fixturesMissing } from './helpers/paths.js';
import { postJson } from './helpers/server.js';

const skip = fixturesMissing();
let served: ServedAidreams;

before(async () => {
  if (!skip) served = await servedAidreams();
});
after(() => served?.server.close());

const score = (prompts: string[], parameters: Record<string, unknown>) =>
  postJson(`${served.server.url}/score`, { input_data: { input_string: prompts, parameters } });

test('served aidreams260K reproduces llama2.c greedy texts through /score (return_full_text true)', {
  skip,
}, async () => {
  for (const reference of served.references) {
    const { status, json } = await score([reference.prompt], {
      do_sample: false,
      max_new_tokens: reference.max_new_tokens,
    });
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal((json as Record<string, string>[])[0]!['0'], reference.full_text);
  }
});

test('... and the continuation alone with return_full_text false, all prompts in one batched request', {
  skip,
}, async () => {
  const { references } = served;
  const { status, json } = await score(
    references.map((r) => r.prompt),
    { do_sample: false, max_new_tokens: references[0]!.max_new_tokens, return_full_text: false },
  );
  assert.equal(status, 200, JSON.stringify(json));
  const record = (json as Record<string, string>[])[0]!;
  references.forEach((reference, i) => {
    assert.equal(record[String(i)], reference.full_text.slice(reference.prompt.length));
  });
});
