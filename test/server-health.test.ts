import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tinyRandomModel } from './helpers/models.js';
import { startServer } from './helpers/server.js';

test('the server listens before the model has loaded: probes see 503, then 200', async () => {
  // model.onnx is a named pipe: the worker's session load blocks reading it until the test writes the model,
  // so the probes below run while loading, whatever the machine's speed.
  const source = await tinyRandomModel();
  const modelDir = await mkdtemp(join(tmpdir(), 'llama-endpoint-loading-'));
  for (const name of await readdir(source)) {
    if (name !== 'model.onnx') await copyFile(join(source, name), join(modelDir, name));
  }
  execFileSync('mkfifo', [join(modelDir, 'model.onnx')]);
  const server = await startServer({ modelDir, waitForModel: false });
  try {
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
    await writeFile(join(modelDir, 'model.onnx'), await readFile(join(source, 'model.onnx')));
    await server.app.endpoint.model!.loaded;
    const root = await fetch(`${server.url}/`);
    assert.equal(root.status, 200);
    assert.equal(await root.text(), '"healthy"');
  } finally {
    await server.close();
    await rm(modelDir, { recursive: true, force: true });
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
