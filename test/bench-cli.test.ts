import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { BenchResult } from '../src/bench/load-generator.js';
import { type SpawnedServer, startServer } from '../src/bench/spawned-server.js';
import { tinyRandomModel } from './helpers/models.js';
import { CLI } from './helpers/paths.js';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bench(...args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'bench', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function benchJson(...args: string[]): Promise<BenchResult> {
  const run = await bench(...args, '--json');
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as BenchResult;
}

let open: SpawnedServer;
/** Overload on purpose: one request in flight at most, and an API key. */
let guarded: SpawnedServer;

before(async () => {
  const model = await tinyRandomModel();
  [open, guarded] = await Promise.all([
    startServer(['--model', model, '--log-level', 'warn']),
    startServer([
      '--model',
      model,
      '--log-level',
      'warn',
      '--max-concurrent-requests',
      '1',
      '--api-key',
      'k1',
    ]),
  ]);
});
after(() => Promise.all([open?.stop(5000), guarded?.stop(5000)]));

test('streaming: exact prompt length, every token counted, TTFT and inter-token latency from the stream', async () => {
  const result = await benchJson('--url', open.url.href, '--concurrency', '3', '--requests', '7');
  assert.equal(result.route, 'completions');
  assert.deepEqual(result.prompt, { tokens: 32, checkedBy: 'tokenize' });
  assert.deepEqual(result.requests, { sent: 7, ok: 7, failed: 0 });
  assert.deepEqual(result.errors, {});
  assert.equal(result.tokensCountedFrom, 'usage');
  assert.equal(result.generatedTokens, 7 * 64, 'ignore_eos: every request generates max_new_tokens');
  assert.equal(result.generatedTokensPerS, result.generatedTokens / result.elapsedS);
  assert.equal(result.timingsFrom, 'stream');
  assert.equal(result.latencyMs?.count, 7);
  assert.equal(result.ttftMs?.count, 7);
  // One gap per chunk after the first; a chunk may carry more than one token (held-back UTF-8 bytes).
  const gaps = result.interTokenMs?.count ?? 0;
  assert.ok(gaps > 7 * 32 && gaps <= 7 * 63, `${gaps} inter-token gaps`);
  assert.ok(result.latencyMs!.p50 >= result.ttftMs!.p50);
  assert.ok(result.meanBatchSize !== undefined && result.meanBatchSize >= 1);
});

test('/score: tokens from max_new_tokens, TTFT and inter-token latency from /metrics', async () => {
  const result = await benchJson(
    ...['--url', open.url.href, '--route', 'score', '--requests', '4', '--prompt-tokens', '9'],
    ...['--max-new-tokens', '5', '--warmup', '0'],
  );
  assert.equal(result.route, 'score');
  assert.deepEqual(result.prompt, { tokens: 9, checkedBy: 'tokenize' });
  assert.deepEqual(result.requests, { sent: 4, ok: 4, failed: 0 });
  assert.equal(result.generatedTokens, 20);
  assert.equal(result.tokensCountedFrom, 'max_new_tokens');
  assert.equal(result.timingsFrom, 'metrics');
  assert.equal(result.ttftMs?.count, 4, 'exactly the requests of this run, from the histogram difference');
  assert.equal(result.interTokenMs?.count, 4 * 4);
});

test('the human report names the route and the figures', async () => {
  const run = await bench('--url', open.url.href, '--requests', '2', '--max-new-tokens', '4');
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /POST \/v1\/completions \(streamed\)/);
  assert.match(run.stdout, /2 sent, 2 ok, 0 failed/);
  assert.match(run.stdout, /generated tokens\/s \(8 tokens, counted from the server's usage\)/);
});

test('errors are counted by status: 429 beyond the server limit', async () => {
  const result = await benchJson(
    ...['--url', guarded.url.href, '--api-key', 'k1', '--concurrency', '4', '--requests', '12'],
    ...['--warmup', '0', '--max-new-tokens', '48'],
  );
  assert.equal(result.requests.sent, 12);
  assert.ok((result.errors['429'] ?? 0) > 0, JSON.stringify(result.errors));
  assert.deepEqual(Object.keys(result.errors), ['429']);
  assert.equal(result.requests.ok + result.errors['429']!, 12);
  assert.equal(result.generatedTokens, result.requests.ok * 48, 'failed requests add no tokens');
});

test('every request failing exits 1, with the statuses in the report', async () => {
  // Each asks for more tokens than the context holds: 400 for every measured request.
  const run = await bench(
    ...['--url', guarded.url.href, '--api-key', 'k1', '--route', 'score', '--requests', '3'],
    ...['--json', '--warmup', '0', '--max-new-tokens', '100000'],
  );
  assert.equal(run.code, 1);
  assert.match(run.stderr, /every request failed/);
  const result = JSON.parse(run.stdout) as BenchResult;
  assert.deepEqual(result.errors, { '400': 3 });
  assert.equal(result.generatedTokens, 0);
});

test('a keyed server without --api-key (or with a wrong one) is refused before the run, with the reason', async () => {
  for (const route of ['auto', 'score']) {
    const run = await bench('--url', guarded.url.href, '--route', route, '--requests', '3', '--json');
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /the server needs an API key \(401 on POST \/(v1\/completions|score)\); pass it with --api-key/,
    );
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.equal(run.stdout, '', 'no report of a run that did not happen');
  }
  const wrong = await bench('--url', guarded.url.href, '--api-key', 'nope', '--requests', '3');
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /refused the key given with --api-key \(401/);
});

test("an Azure scoring URI '…/score' as --url targets /score at its parent", async () => {
  const result = await benchJson(
    ...['--url', new URL('score', open.url).href, '--requests', '2', '--max-new-tokens', '3'],
    ...['--warmup', '0', '--prompt-tokens', '5'],
  );
  assert.equal(result.route, 'score');
  assert.equal(result.url, open.url.href);
  assert.deepEqual(result.requests, { sent: 2, ok: 2, failed: 0 });
  assert.deepEqual(result.prompt, { tokens: 5, checkedBy: 'tokenize' });
  const streamed = await benchJson(
    ...['--url', `${open.url.href}score/`, '--route', 'completions', '--requests', '1'],
    ...['--max-new-tokens', '2', '--warmup', '0'],
  );
  assert.equal(streamed.route, 'completions', 'an explicit --route wins');
  assert.equal(streamed.requests.ok, 1);
});

test('a run the duration limit stops early says so in the JSON and the report', async () => {
  const args = ['--url', open.url.href, '--requests', '1000', '--duration-s', '0.3', '--warmup', '0'];
  const result = await benchJson(...args, '--max-new-tokens', '16');
  assert.ok(result.requests.sent < 1000, `${result.requests.sent} sent`);
  assert.deepEqual(result.cutShort, { durationS: 0.3, requestsAsked: 1000 });
  const run = await bench(...args, '--max-new-tokens', '16');
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    /the 0\.3 s duration limit \(--duration-s\) ended the run after \d+ of the 1000 requests/,
  );
  const full = await benchJson('--url', open.url.href, '--requests', '2', '--max-new-tokens', '2');
  assert.equal(full.cutShort, undefined);
});

test('bad arguments and remote targets exit 2 with a one-line reason', async () => {
  const cases: [string[], RegExp][] = [
    [[], /--url is required/],
    [['--url', 'not a url'], /--url is not a URL/],
    [['--url', 'http://127.0.0.1:1', '--concurrency', '0'], /--concurrency must be a whole number/],
    [
      ['--url', 'http://127.0.0.1:1', '--prompt-tokens', '1'],
      /--prompt-tokens must be a whole number from 2/,
    ],
    [['--url', 'http://127.0.0.1:1', '--route', 'grpc'], /--route must be one of auto, score, completions/],
    [['--url', 'http://10.20.30.40:5001'], /10\.20\.30\.40 is not this machine .*--allow-remote/],
  ];
  for (const [args, message] of cases) {
    const run = await bench(...args);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, message);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  }
});

test('an unreachable server is exit 1', async () => {
  const run = await bench('--url', 'http://127.0.0.1:1/');
  assert.equal(run.code, 1);
  assert.match(run.stderr, /ECONNREFUSED/);
});
