import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeServer, fakeServer } from './helpers/server.js';

let server: FakeServer;
const KEYS = ['primary-key-0123', 'secondary-key-4567'];
const BODY = { input_data: { input_string: ['Hi'], parameters: { max_new_tokens: 2 } } };

before(async () => {
  server = await fakeServer({ apiKeys: KEYS });
});
after(() => server.close());

for (const [name, headers] of [
  ['no Authorization header', {}],
  ['a wrong key', { authorization: 'Bearer primary-key-0124' }],
  ['a key that is a prefix of a real one', { authorization: 'Bearer primary-key' }],
  ['not a Bearer scheme', { authorization: 'Basic cHJpbWFyeS1rZXktMDEyMw==' }],
] as const) {
  test(`401 with WWW-Authenticate for ${name}`, async () => {
    const { status, json, headers: answer } = await server.call('POST', '/score', BODY, headers);
    assert.equal(status, 401);
    assert.equal(answer.get('www-authenticate'), 'Bearer');
    assert.equal((json as { error: { code: string } }).error.code, 'Unauthorized');
    assert.ok(answer.get('x-request-id'));
  });
}

test('both keys are accepted', async () => {
  for (const key of KEYS) {
    const { status } = await server.call('POST', '/score', BODY, { authorization: `Bearer ${key}` });
    assert.equal(status, 200);
  }
});

test('metrics and the OpenAPI document need a key too; the health probes do not', async () => {
  for (const path of ['/metrics', '/swagger.json'])
    assert.equal((await server.call('GET', path)).status, 401, path);
  for (const path of ['/', '/health/live', '/health/ready'])
    assert.equal((await server.call('GET', path)).status, 200, path);
});
