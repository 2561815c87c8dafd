/** What a deployment relies on beyond the API: the model Azure ML mounts, the served name, quiet probes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { AZUREML_MODEL_DIR, azureMlModelDir } from '../src/cli/azureml-model-dir.js';
import { SERVE_ENV } from '../src/cli/commands/serve.js';
import { UsageError } from '../src/cli/usage-error.js';
import { HEALTH_ROUTES } from '../src/server/routes/health.js';
import { tinyRandomModel } from './helpers/models.js';
import { CLI } from './helpers/paths.js';
import { postJson, startServer } from './helpers/server.js';

async function modelIds(url: string): Promise<string[]> {
  const list = (await (await fetch(`${url}/v1/models`)).json()) as { data: { id: string }[] };
  return list.data.map((model) => model.id);
}

test('serve finds the model Azure ML mounts one folder below AZUREML_MODEL_DIR and serves it under --served-model-name', async (t) => {
  const mount = await mkdtemp(join(tmpdir(), 'azureml-models-'));
  t.after(() => rm(mount, { recursive: true, force: true }));
  // As Azure mounts a model registered from the folder llama-2-13b-onnx: $AZUREML_MODEL_DIR/llama-2-13b-onnx/.
  await cp(await tinyRandomModel(), join(mount, 'llama-2-13b-onnx'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [AZUREML_MODEL_DIR]: mount,
    [SERVE_ENV.port]: '0',
    [SERVE_ENV.host]: '127.0.0.1',
  };
  delete env[SERVE_ENV.model];
  const child = spawn(process.execPath, [CLI, 'serve', '--served-model-name', 'llama-2-13b-chat'], { env });
  t.after(() => child.kill('SIGKILL'));
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    url = (JSON.parse(line) as { address?: string }).address;
    if (url) break;
  }
  child.stdout.resume();
  assert.ok(url, 'serve logged its address');
  while ((await fetch(`${url}${HEALTH_ROUTES.ready}`)).status !== 200) await delay(20);
  assert.deepEqual(await modelIds(url), ['llama-2-13b-chat']);
  child.kill('SIGTERM');
  assert.deepEqual(await once(child, 'exit'), [0, null]);
});

test('the model directory inside an Azure ML mount: the mount itself, or the one folder below holding config.json', async (t) => {
  const mount = await mkdtemp(join(tmpdir(), 'azureml-models-'));
  t.after(() => rm(mount, { recursive: true, force: true }));
  const model = await tinyRandomModel();
  assert.equal(azureMlModelDir(model), model);
  await mkdir(join(mount, 'empty'));
  assert.throws(() => azureMlModelDir(mount), /AZUREML_MODEL_DIR: no config.json in .*azureml-models-/);
  await cp(model, join(mount, 'a', 'model'), { recursive: true });
  assert.equal(azureMlModelDir(mount), join(mount, 'a', 'model'));
  await cp(model, join(mount, 'b'), { recursive: true });
  assert.equal(azureMlModelDir(mount), join(mount, 'b'), 'the shallowest model directory wins');
  await cp(model, join(mount, 'c'), { recursive: true });
  assert.throws(() => azureMlModelDir(mount), /more than one model directory in .*: .*b, .*c$/);
  assert.throws(() => azureMlModelDir(join(mount, 'missing')), UsageError);
});

test('probes and scrapes are logged at debug, requests at info; the served name defaults to the folder name', async (t) => {
  const modelDir = await tinyRandomModel();
  const server = await startServer({ modelDir });
  t.after(() => server.close());
  for (const route of [...Object.values(HEALTH_ROUTES), '/metrics']) {
    assert.equal((await fetch(`${server.url}${route}`)).status, 200, route);
  }
  assert.equal((await postJson(`${server.url}/tokenize`, { text: 'hi' })).status, 200);
  assert.deepEqual(await modelIds(server.url), [modelDir.split('/').at(-1)]);
  const logged = server.logs.filter((line) => line.msg === 'request completed').map((line) => line.route);
  assert.deepEqual(logged, ['/tokenize', '/v1/models']);

  const named = await startServer({ modelDir, servedModelName: 'llama-2-13b' });
  t.after(() => named.close());
  assert.deepEqual(await modelIds(named.url), ['llama-2-13b']);
});
