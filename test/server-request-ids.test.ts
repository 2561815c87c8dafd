import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeServer, fakeServer } from './helpers/server.js';

let server: FakeServer;

before(async () => {
  server = await fakeServer();
});
after(() => server.close());

const form1 = (prompts: unknown[], parameters: Record<string, unknown> = {}) => ({
  input_data: { input_string: prompts, parameters },
});
const lastLog = () => server.logs.filter((line) => line.msg === 'request completed').at(-1)!;

test('request ids: a GUID x-request-id and a valid x-ms-client-request-id are echoed, others are not', async () => {
  // Echoed as sent, upper-case hex digits included (the contract says echoed, not normalised).
  const guid = '7F0C3A52-8e1d-4a8b-9c7e-2f1d3b4a5c6d';
  const { headers } = await server.call('POST', '/score', form1(['Hi'], { max_new_tokens: 1 }), {
    'x-request-id': guid,
    'x-ms-client-request-id': 'my-client_42',
  });
  assert.equal(headers.get('x-request-id'), guid);
  assert.equal(headers.get('x-ms-client-request-id'), 'my-client_42');
  const line = lastLog();
  assert.equal(line.requestId, guid);
  assert.equal(line.clientRequestId, 'my-client_42');
  const other = await server.call('POST', '/score', form1(['Hi'], { max_new_tokens: 1 }), {
    'x-request-id': 'not-a-guid',
    'x-ms-client-request-id': 'has spaces!',
  });
  assert.notEqual(other.headers.get('x-request-id'), 'not-a-guid');
  assert.match(other.headers.get('x-request-id') ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  assert.equal(other.headers.get('x-ms-client-request-id'), null);
});
