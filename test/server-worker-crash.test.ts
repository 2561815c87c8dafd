/**
 * Workers as child processes (--worker-isolation process, the server's default): a native crash (here a worker
 * process killed by SIGSEGV, as a segfault in ONNX Runtime or a GPU driver ends it) fails only that worker's
 * sequences (500) and the worker is restarted; the server itself stays up and answers again.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { slowRandomModel } from './helpers/models.js';
import { postJson, startServer } from './helpers/server.js';

/** The worker processes this test process started (its children running the worker entry). */
function workerPids(): number[] {
  const ps = spawnSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .filter((line) => line.includes('worker/thread.js'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

const score = (url: string, maxNewTokens: number) =>
  postJson(`${url}/score`, {
    input_data: { input_string: ['Go on'], parameters: { max_new_tokens: maxNewTokens, ignore_eos: true } },
  });

test('a worker process killed by SIGSEGV fails its request with 500; the server stays up and a new worker serves', async (t) => {
  const server = await startServer({ modelDir: await slowRandomModel(), model: { isolation: 'process' } });
  t.after(() => server.close());
  const [pid] = workerPids();
  assert.ok(pid, 'the worker runs in a child process');
  const running = score(server.url, 1500);
  // Let it start generating, then crash the worker under it.
  await delay(500);
  process.kill(pid, 'SIGSEGV');
  const answer = await running;
  assert.equal(answer.status, 500, JSON.stringify(answer.json));
  assert.equal((await fetch(`${server.url}/health/live`)).status, 200);
  const died = server.logs.find((line) => /^worker died/.test(String(line.msg)));
  assert.match(String(died?.msg), /killed by SIGSEGV\); starting a new one/);
  await server.app.endpoint.model?.loaded;
  for (let i = 0; i < 100 && !server.app.endpoint.model?.ready; i++) await delay(100);
  const after = await score(server.url, 4);
  assert.equal(after.status, 200, JSON.stringify(after.json));
  const [replacement] = workerPids();
  assert.ok(replacement !== undefined && replacement !== pid, 'a new worker process took its place');
});
