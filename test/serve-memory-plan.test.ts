import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { startServer } from '../src/bench/spawned-server.js';
import { kvBytesPerToken, planMemory } from '../src/engine/memory-plan.js';
import { DEFAULT_INT4 } from '../src/modelgen/int4/matmul-nbits.js';
import { SERVING_GRAPH } from '../src/modelgen/llama-graph.js';
import { tinyRandomModel } from './helpers/models.js';
import { CLI } from './helpers/paths.js';

const LLAMA_2_13B = { numLayers: 40, numKeyValueHeads: 40, headDim: 128 };
const GiB = 2 ** 30;

test('the plan: 13B KV is 800 KiB a token in float16, 1.56 MiB in float32; the batch is what the budget holds', () => {
  assert.equal(kvBytesPerToken(LLAMA_2_13B, 'float16'), 800 * 1024);
  assert.equal(kvBytesPerToken(LLAMA_2_13B, 'float32'), 1600 * 1024);
  const plan = planMemory({
    weightsBytes: 8.7e9,
    config: LLAMA_2_13B,
    kvDtype: 'float32',
    maxModelLen: 500, // rows are laid out in steps of 32 positions: 512
    maxBatchSize: 16,
    kvCacheBytes: 2 * GiB,
    workers: 1,
    memoryBytes: 24 * GiB,
  });
  assert.equal(plan.kvBytesPerSequence, 512 * 1600 * 1024);
  assert.equal(plan.batch, 2);
  assert.equal(plan.kvBytes, 2 * 512 * 1600 * 1024);
  assert.equal(plan.totalBytes, 8.7e9 + plan.kvBytes);
  // No budget: what 90% of memory leaves after the weights, capped by maxBatchSize.
  const unbounded = { ...plan, weightsBytes: 8.7e9, config: LLAMA_2_13B, kvDtype: 'float32' as const };
  const fitted = planMemory({
    ...unbounded,
    maxModelLen: 4096,
    maxBatchSize: 16,
    workers: 1,
    memoryBytes: 24 * GiB,
  });
  assert.equal(fitted.batch, Math.floor((24 * GiB * 0.9 - 8.7e9) / (4096 * 1600 * 1024)));
  assert.throws(
    () =>
      planMemory({ ...unbounded, maxModelLen: 4096, maxBatchSize: 16, workers: 2, memoryBytes: 16 * GiB }),
    /holds no sequence: weights 8\.10 GiB × 2 worker\(s\), KV 6\.25 GiB per sequence of 4096 tokens, memory 16\.00 GiB/,
  );
});

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stderr: result.stderr.trim() };
}

test('serve --max-model-len 512 on a 13B-shaped int4 graph (1 layer) reserves what its start-up line says', async () => {
  const modelDir = await tinyRandomModel({
    preset: 'llama-2-13b',
    layers: 1,
    graph: { ...SERVING_GRAPH, int4: DEFAULT_INT4 },
    externalData: true,
  });
  const server = await startServer(
    ['--model', modelDir, '--max-model-len', '512', '--max-batch-size', '4', '--intra-op-threads', '1'],
    300_000,
  );
  try {
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const plan = lines.find((line) => String(line.msg).startsWith('memory: '));
    assert.ok(plan, server.output());
    // 1 layer × 40 KV heads × 128 × keys and values × float32.
    const perToken = 1 * 40 * 128 * 2 * 4;
    assert.equal(plan.kvBytesPerToken, perToken);
    assert.equal(plan.kvBytesPerSequence, 512 * perToken);
    assert.equal(plan.batch, 4);
    assert.equal(plan.kvBytes, 4 * 512 * perToken);
    assert.equal(plan.maxModelLen, 512);
    assert.match(
      String(plan.msg),
      /KV cache \(float32\) 40\.0 KiB per token, 20\.0 MiB per sequence of 512 tokens; batch 4 fits/,
    );
    // The worker's own count of the buffers it allocated.
    const ready = lines.find((line) => String(line.msg).startsWith('worker ready'));
    assert.equal(ready?.kvCacheBytes, plan.kvBytes);
    assert.equal(plan.totalBytes, (plan.weightsBytes as number) + (plan.kvBytes as number));

    // The bound holds for requests too: 500 + 20 tokens do not fit 512.
    const score = (maxNewTokens: number) =>
      fetch(new URL('/score', server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          input_data: { input_string: ['hello'], parameters: { max_new_tokens: maxNewTokens } },
        }),
      });
    const tooLong = await score(520);
    assert.equal(tooLong.status, 400);
    assert.match(await tooLong.text(), /512/);
    assert.equal((await score(2)).status, 200);
  } finally {
    await server.stop(10_000);
  }
});

test('serve refuses, before loading, a plan that cannot fit: one line with the numbers, exit 2', async () => {
  const modelDir = await tinyRandomModel({
    preset: 'llama-2-13b',
    layers: 1,
    graph: { ...SERVING_GRAPH, int4: DEFAULT_INT4 },
    externalData: true,
  });
  const tooMuch = cli(
    'serve',
    '--model',
    modelDir,
    '--kv-cache-memory',
    '1TiB',
    '--max-batch-size',
    '1024',
    '--port',
    '0',
  );
  assert.equal(tooMuch.status, 2, tooMuch.stderr);
  assert.equal(tooMuch.stderr.split('\n').length, 1, tooMuch.stderr);
  assert.match(
    tooMuch.stderr,
    /GiB needed \(weights [\d.]+ MiB × 1 worker\(s\), KV 160\.0 MiB per sequence of 4096 tokens, memory .* GiB, batch 1024: KV .* GiB per worker\) exceeds the .* GiB of memory/,
  );

  const tooLittle = cli(
    'serve',
    '--model',
    modelDir,
    '--max-model-len',
    '512',
    '--kv-cache-memory',
    '10MiB',
    '--port',
    '0',
  );
  assert.equal(tooLittle.status, 2, tooLittle.stderr);
  assert.match(
    tooLittle.stderr,
    /the KV budget \(10\.0 MiB per worker\) holds no sequence: .* KV 20\.0 MiB per sequence of 512 tokens/,
  );

  const tooLong = cli('serve', '--model', modelDir, '--max-model-len', '4097', '--port', '0');
  assert.equal(tooLong.status, 2, tooLong.stderr);
  assert.match(tooLong.stderr, /--max-model-len must be a whole number from 1 to 4096/);
});
