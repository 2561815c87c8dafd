/** CORS: off by default (a preflight is a 404, no Access-Control headers); on for the origins given. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { CLI } from './helpers/paths.js';
import { fakeServer } from './helpers/server.js';

const ORIGIN = 'https://playground.example';
const preflight = {
  origin: ORIGIN,
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'authorization, content-type',
};

test('off by default: the preflight is a 404 and answers carry no Access-Control headers', async () => {
  const server = await fakeServer();
  try {
    const response = await server.app.inject({ method: 'OPTIONS', url: '/score', headers: preflight });
    assert.equal(response.statusCode, 404);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    const tokenize = await server.call('POST', '/tokenize', { text: 'x' }, { origin: ORIGIN });
    assert.equal(tokenize.headers.get('access-control-allow-origin'), null);
  } finally {
    await server.close();
  }
});

test('--cors-origin: the preflight passes without a key; answers name the origin and expose the ids', async () => {
  const server = await fakeServer({ corsOrigins: [ORIGIN], apiKeys: ['k'] });
  try {
    const response = await server.app.inject({
      method: 'OPTIONS',
      url: '/v1/completions',
      headers: preflight,
    });
    assert.equal(response.statusCode, 204);
    assert.equal(response.headers['access-control-allow-origin'], ORIGIN);
    assert.match(String(response.headers['access-control-allow-methods']), /POST/);
    assert.match(String(response.headers['access-control-allow-headers']), /authorization/);
    const answer = await server.call(
      'POST',
      '/tokenize',
      { text: 'x' },
      { origin: ORIGIN, authorization: 'Bearer k' },
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(answer.headers.get('access-control-expose-headers') ?? '', /x-request-id/);
    const unkeyed = await server.call('POST', '/tokenize', { text: 'x' }, { origin: ORIGIN });
    assert.equal(unkeyed.status, 401, 'only the preflight goes without the key');
    const other = await server.app.inject({
      method: 'OPTIONS',
      url: '/score',
      headers: { ...preflight, origin: 'https://elsewhere.example' },
    });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  } finally {
    await server.close();
  }
});

test('serve --cors-origin takes * or an origin; anything else exits 2 with a one-line reason', () => {
  for (const bad of ['app.example', 'https://app.example/path']) {
    const result = spawnSync(process.execPath, [CLI, 'serve', '--cors-origin', bad], { encoding: 'utf8' });
    assert.equal(result.status, 2, bad);
    assert.match(result.stderr, /--cors-origin must be \* or an origin like https:\/\/app\.example/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
});
