import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { convertedAidreams } from './helpers/models.js';
import { fixture, fixturesMissing } from './helpers/paths.js';
import { startServer, type TestServer } from './helpers/server.js';

interface Reference {
  prompt: string;
  max_new_tokens: number;
  full_text: string;
}

const skip = fixturesMissing();
let server: TestServer;
let client: OpenAI;
let references: Reference[];

before(async () => {
  if (skip) return;
  references = JSON.parse(readFileSync(fixture('reference', 'aidreams260K-greedy.json'), 'utf8'));
  server = await startServer({ modelDir: await convertedAidreams() });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(() => server?.close());

test('aidreams260K, greedy: /v1/completions returns llama2.c’s reference continuation, streamed or not', {
  skip,
}, async () => {
  for (const reference of references) {
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
