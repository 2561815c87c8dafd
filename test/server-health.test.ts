import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tinyRandomModel } from './helpers/models.js';
import { startServer } from './helpers/server.js';

test('the server listens before the model has loaded: probes see 503, then 200', async () => {
  const server = await startServer({ modelDir: await tinyRandomModel(), waitForModel: false });
  try {
    // Loading a session in a fresh worker thread takes far longer than a loopback round trip.
    const early = await fetch(`${server.url}/`);
    assert.equal(early.status, 503);
    const { error } = (await early.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'ServiceUnavailable');
    assert.match(error.message, /loading \(0 of 1 workers ready\)/);
    assert.equal((await fetch(`${server.url}/health/ready`)).status, 503);
    assert.equal((await fetch(`${server.url}/health/live`)).status, 200);
    const score = await fetch(`${server.url}/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input_data: ['Hi'] }),
    });
    assert.equal(score.status, 503);
    await server.app.endpoint.model!.loaded;
    const root = await fetch(`${server.url}/`);
    assert.equal(root.status, 200);
    assert.equal(await root.text(), '"healthy"');
  } finally {
    await server.close();
  }
});

test('a model directory that cannot be loaded: loaded rejects and the probes keep answering 503', async () => {
  const server = await startServer({ modelDir: '/nonexistent/model', waitForModel: false });
  try {
    await assert.rejects(server.app.endpoint.model!.loaded);
    const root = await fetch(`${server.url}/`);
    assert.equal(root.status, 503);
    assert.match(((await root.json()) as { error: { message: string } }).error.message, /failed to load/);
  } finally {
    await server.close();
  }
});
