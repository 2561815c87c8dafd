import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeServer, fakeServer } from './helpers/server.js';

let server: FakeServer;

before(async () => {
  server = await fakeServer({ maxPrompts: 4 });
});
after(() => server.close());

const prompts = (parameters: Record<string, unknown>) => ({
  input_data: { input_string: ['Hi'], parameters },
});

interface BadInput {
  name: string;
  body: unknown;
  status: number;
  code: string;
  /** The message must name this field (and say this, where given). */
  field: string;
  says?: RegExp;
  contentType?: string;
  method?: 'GET' | 'POST';
  path?: string;
}

const CASES: BadInput[] = [
  {
    name: 'not JSON',
    body: '{"input_data": [',
    status: 400,
    code: 'BadRequest',
    field: '(body)',
    says: /JSON/,
  },
  {
    name: 'missing input_data',
    body: { inputs: ['Hi'] },
    status: 400,
    code: 'BadRequest',
    field: 'input_data',
    says: /required/,
  },
  {
    name: 'input_string not a list',
    body: { input_data: { input_string: 'Hi' } },
    status: 400,
    code: 'BadRequest',
    field: 'input_data.input_string',
    says: /array/,
  },
  {
    name: 'input_string empty',
    body: { input_data: { input_string: [] } },
    status: 400,
    code: 'BadRequest',
    field: 'input_data.input_string',
    says: /at least 1/,
  },
  {
    name: 'a number where a string belongs',
    body: { input_data: { input_string: ['Hi', 42] } },
    status: 400,
    code: 'BadRequest',
    field: 'input_data.input_string[1]',
    says: /string/,
  },
  {
    name: 'a number in the second form',
    body: { input_data: [7] },
    status: 400,
    code: 'BadRequest',
    field: 'input_data[0]',
    says: /string/,
  },
  {
    name: 'temperature -1',
    body: prompts({ temperature: -1 }),
    status: 400,
    code: 'BadRequest',
    field: 'input_data.parameters.temperature',
    says: />= 0/,
  },
  {
    name: 'top_p 0',
    body: prompts({ top_p: 0 }),
    status: 400,
    code: 'BadRequest',
    field: 'input_data.parameters.top_p',
    says: /> 0/,
  },
  {
    name: 'top_p 1.5',
    body: prompts({ top_p: 1.5 }),
    status: 400,
    code: 'BadRequest',
    field: 'input_data.parameters.top_p',
    says: /<= 1/,
  },
  {
    name: 'top_k -2',
    body: prompts({ top_k: -2 }),
    status: 400,
    code: 'BadRequest',
    field: 'input_data.parameters.top_k',
    says: />= -1/,
  },
  {
    name: 'max_new_tokens 0',
    body: prompts({ max_new_tokens: 0 }),
    status: 400,
    code: 'BadRequest',
    field: 'input_data.parameters.max_new_tokens',
    says: />= 1/,
  },
  {
    name: 'max_new_tokens over the context',
    body: prompts({ max_new_tokens: 5000 }),
    status: 400,
    code: 'BadRequest',
    field: 'input_data.parameters.max_new_tokens',
    says: /5000.*1024/,
  },
  {
    name: 'prompt + max_new_tokens over the context (both numbers)',
    body: { input_data: ['word '.repeat(600)], params: { max_new_tokens: 500 } },
    status: 400,
    code: 'BadRequest',
    field: 'input_data[0]',
    says: /\d+ prompt tokens \+ 500 max_new_tokens = \d+, more than the model's context of 1024/,
  },
  {
    name: 'n 2',
    body: prompts({ n: 2 }),
    status: 400,
    code: 'BadRequest',
    field: 'input_data.parameters.n',
    says: /must be 1/,
  },
  {
    name: 'parameters of the second form',
    body: { input_data: ['Hi'], params: { repetition_penalty: 0 } },
    status: 400,
    code: 'BadRequest',
    field: 'params.repetition_penalty',
  },
  {
    name: 'more prompts than --max-prompts',
    body: { input_data: { input_string: ['a', 'b', 'c', 'd', 'e'] } },
    status: 400,
    code: 'BadRequest',
    field: 'input_data.input_string',
    says: /5 prompts; at most 4/,
  },
  {
    name: 'chat roles out of order',
    body: {
      input_data: {
        input_string: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
      },
    },
    status: 400,
    code: 'BadRequest',
    field: 'input_data.input_string[1].role',
    says: /assistant/,
  },
  {
    name: 'chat ending with the assistant',
    body: {
      input_data: {
        input_string: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
      },
    },
    status: 400,
    code: 'BadRequest',
    field: 'input_data.input_string[1].role',
    says: /end with a 'user'/,
  },
  {
    name: '10 MB body',
    body: JSON.stringify({ input_data: ['x'.repeat(10 * 1024 * 1024)] }),
    status: 413,
    code: 'PayloadTooLarge',
    field: 'body',
    says: /1048576 bytes/,
  },
  {
    name: 'wrong content type',
    body: 'input_data=hello',
    contentType: 'text/plain',
    status: 415,
    code: 'UnsupportedMediaType',
    field: 'Content-Type',
  },
  { name: 'unknown route', body: {}, path: '/predict', status: 404, code: 'NotFound', field: '/predict' },
];

test('an empty input_string is one error, not also a chat-order one', async () => {
  const response = await server.call('POST', '/score', { input_data: { input_string: [] } });
  assert.equal(response.status, 400);
  const { error } = response.json as { error: { details: { field: string }[] } };
  assert.deepEqual(
    error.details.map((d) => d.field),
    ['input_data.input_string'],
  );
});

for (const bad of CASES) {
  test(`bad input: ${bad.name} → ${bad.status}`, async () => {
    const response = await server.call(bad.method ?? 'POST', bad.path ?? '/score', bad.body, {
      'content-type': bad.contentType ?? 'application/json',
    });
    assert.equal(response.status, bad.status);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const { error } = response.json as {
      error: { code: string; message: string; details?: unknown[] };
    };
    assert.equal(error.code, bad.code);
    assert.ok(
      error.message.includes(bad.field),
      `message ${JSON.stringify(error.message)} names ${bad.field}`,
    );
    if (bad.says) assert.match(error.message, bad.says);
    if (bad.status === 400) assert.ok(Array.isArray(error.details) && error.details.length > 0);
  });
}

test('the server answers normally after the bad inputs', async () => {
  const response = await server.call('POST', '/score', prompts({ max_new_tokens: 2 }));
  assert.equal(response.status, 200);
});
