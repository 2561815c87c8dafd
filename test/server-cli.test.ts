import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { slowRandomModel, tinyRandomModel } from './helpers/models.js';
import { CLI } from './helpers/paths.js';
import { metricValue, postJson } from './helpers/server.js';

/** Starts `llama-endpoint serve` configured through environment variables; resolves once it printed its curl line. */
async function serve(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stdout: string[] }> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...env } });
  const stdout: string[] = [];
  let url: string | undefined;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      stdout.push(line);
      const address = (JSON.parse(line) as { address?: string }).address;
      if (address) url = address;
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const end = Date.now() + 60_000;
  while (!stderr.includes('ready: curl')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`serve did not get ready: ${stderr}`);
    await delay(20);
  }
  assert.match(
    stderr,
    /ready: curl -s http:\/\/127\.0\.0\.1:\d+\/score -H "Authorization: Bearer \$API_KEY"/,
  );
  return { child, url: url!, stdout };
}

test('serve reads its settings from the environment, drains on SIGTERM and exits 0', async () => {
  const { child, url, stdout } = await serve({
    MODEL_DIR: await slowRandomModel(),
    PORT: '0',
    HOST: '127.0.0.1',
    API_KEYS: 'key-one,key-two',
    DEPLOYMENT_NAME: 'blue',
    INTRA_OP_THREADS: '1',
  });
  const auth = { authorization: 'Bearer key-two' };
  const root = await fetch(`${url}/`);
  assert.equal(root.status, 200);
  assert.equal(root.headers.get('azureml-model-deployment'), 'blue');

  const long = {
    input_data: { input_string: ['Keep going'], parameters: { max_new_tokens: 900, ignore_eos: true } },
  };
  const inFlight = postJson(`${url}/score`, long, auth);
  while (
    metricValue(
      await (await fetch(`${url}/metrics`, { headers: auth })).text(),
      'llama_endpoint_requests_running',
    ) !== 1
  ) {
    await delay(10);
  }
  child.kill('SIGTERM');
  await delay(100);
  const refused = await postJson(`${url}/score`, long, auth);
  assert.equal(refused.status, 503);
  assert.equal((refused.json as { error: { code: string } }).error.code, 'ServiceUnavailable');
  assert.equal((await inFlight).status, 200, 'the request in flight finished');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
  assert.ok(stdout.some((line) => line.includes('draining')));
});

test('bad flags exit 2 with a one-line reason', () => {
  const result = spawnSync(process.execPath, [CLI, 'serve', '--workers', 'many'], { encoding: 'utf8' });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--workers must be a whole number/);
  assert.equal(result.stderr.trim().split('\n').length, 1);
});

test('a model that cannot load: serve exits 1 with one line naming the reason (no hanging, unready server)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'corrupt-model-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(await tinyRandomModel(), dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), 'not a protobuf');
  const child = spawn(process.execPath, [CLI, 'serve', '--model', dir, '--port', '0', '--workers', '2']);
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 1);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /^llama-endpoint serve: the model failed to load: .*model\.onnx/);
  // The log collector sees it too, as one error line.
  const errors = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.msg === 'the model failed to load');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.level, 50);
});

test('a --model directory that does not exist is a usage error (exit 2)', () => {
  const result = spawnSync(process.execPath, [CLI, 'serve', '--model', '/nonexistent/model'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 2);
  assert.equal(result.stderr, "llama-endpoint serve: --model: no such directory '/nonexistent/model'\n");
});
