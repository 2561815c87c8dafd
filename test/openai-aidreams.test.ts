import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { type ServedAidreams, servedAidreams } from './helpers/aidreams.js';
import { fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
let served: ServedAidreams;

before(async () => {
  if (!skip) served = await servedAidreams();
});
after(() => served?.server.close());

test('aidreams260K, greedy: /v1/completions returns llama2.c’s reference continuation, streamed or not', {
  skip,
}, async () => {
  const client = new OpenAI({ baseURL: `${served.server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  for (const reference of served.references) {
    const params = {
      model: 'aidreams260K',
      prompt: reference.prompt,
      max_tokens: reference.max_new_tokens,
      temperature: 0,
    };
    const expected = reference.full_text.slice(reference.prompt.length);
    const whole = await client.completions.create({ ...params, stream: false });
    assert.equal(whole.choices[0]!.text, expected);
    assert.equal(whole.choices[0]!.finish_reason, 'length');
    assert.equal(whole.usage?.completion_tokens, reference.max_new_tokens);

    let streamed = '';
    for await (const chunk of await client.completions.create({ ...params, stream: true })) {
      streamed += chunk.choices[0]?.text ?? '';
    }
    assert.equal(streamed, expected);
  }
});
