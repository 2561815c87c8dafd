/**
 * The engine on ONNX Runtime's WebGPU provider (in CI: Mesa's lavapipe, a CPU Vulkan driver) with the
 * device-resident KV cache: the same correctness oracles as on the CPU, and the cache's tensors stay on the
 * device between steps. Skipped, with the reason, where no Vulkan device can be opened.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createKvRowsSession, DeviceKvCache, presentOutputNames } from '../src/engine/device-kv-cache.js';
import { detectIoLayout } from '../src/engine/io-layout.js';
import { readModelConfig } from '../src/engine/model-config.js';
import { ModelRunner } from '../src/engine/model-runner.js';
import { createSession } from '../src/engine/session.js';
import { GraphBuilder } from '../src/modelgen/onnx/graph-builder.js';
import { writeModel } from '../src/modelgen/onnx/model-writer.js';
import { DataType } from '../src/modelgen/onnx/onnx-proto.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { convertedAidreams, tinyRandomModel } from './helpers/models.js';
import { fixturesMissing } from './helpers/paths.js';
import { webgpuMissing } from './helpers/webgpu.js';
import { collect, greedyAloneAndBatched, request, startWorker, tokenIds } from './helpers/worker-runs.js';

const skip = webgpuMissing();
const PRESENT = { kvOutputs: 'present' } as const;

test('aidreams260K on webgpu, KV cache on the device: llama2.c’s greedy tokens, alone and all batched', {
  skip: skip || fixturesMissing(),
}, async () => {
  const handle = startWorker(await convertedAidreams(PRESENT), { provider: 'webgpu' });
  try {
    assert.equal((await handle.ready).provider, 'webgpu');
    const references = aidreamsGreedyReference();
    const requests = references.map((r) => request(r.prompt_ids, { maxNewTokens: r.max_new_tokens }));
    for (const [i, req] of requests.entries()) {
      assert.deepEqual(
        tokenIds(await collect(handle, req)),
        references[i]!.generated_ids,
        references[i]!.prompt,
      );
    }
    const batched = await Promise.all(requests.map((req) => collect(handle, { ...req, id: `${req.id}-b` })));
    batched.forEach((run, i) => {
      assert.deepEqual(tokenIds(run), references[i]!.generated_ids, `batched: ${references[i]!.prompt}`);
    });
  } finally {
    await handle.shutdown();
  }
});

test('webgpu, KV cache on the device: batched = alone with chunked prefills (later chunks read a device past)', {
  skip,
}, async () => {
  const prompts = [
    'Hello',
    'The quick brown fox jumps over the lazy dog',
    'Once upon a time, in a land far away,',
  ];
  const run = await greedyAloneAndBatched(await tinyRandomModel({ graph: PRESENT }), prompts, 16, {
    provider: 'webgpu',
  });
  assert.equal(run.info.provider, 'webgpu');
  assert.deepEqual(run.batched, run.alone);
});

/** Largest |a - b| over two logits rows. */
const maxDifference = (a: Float32Array, b: Float32Array) =>
  a.reduce((max, x, i) => Math.max(max, Math.abs(x - b[i]!)), 0);

test('webgpu device KV cache: prefill then decode = one pass, and the cache stays gpu-buffer between steps', {
  skip,
}, async () => {
  const modelDir = await tinyRandomModel({ graph: PRESENT });
  const config = await readModelConfig(modelDir);
  const { session, deviceOutputs } = await createSession(
    join(modelDir, 'model.onnx'),
    {
      provider: 'webgpu',
      deviceId: 0,
      intraOpThreads: 1,
      deviceOutputs: presentOutputNames(config.numLayers),
    },
    () => {},
  );
  assert.ok(deviceOutputs, 'a present graph opens with its present outputs on the device');
  const layout = detectIoLayout(session, config);
  const cache = new DeviceKvCache(layout, await createKvRowsSession(layout.kvDtype));
  const runner = new ModelRunner(session, layout, cache);
  try {
    const onDevice = (when: string) => {
      for (const tensor of cache.batchTensors) assert.equal(tensor.location, 'gpu-buffer', when);
    };
    const prompt = [1, 450, 4996, 17354, 1701, 29916, 432];
    await runner.prefill('a', prompt.slice(0, 3));
    await runner.prefill('a', prompt.slice(3));
    runner.join('a');
    const [decoded] = await runner.decode(['a'], [920]);
    onDevice('after the first decode step');
    const onePass = await runner.prefill('b', [...prompt, 920]);
    assert.ok(
      maxDifference(decoded!, onePass) < 1e-3,
      `prefill + decode vs one pass: ${maxDifference(decoded!, onePass)}`,
    );
    runner.join('b');
    await runner.decode(['a', 'b'], [7, 7]);
    onDevice('after b joined (rows re-laid out on the device)');
    runner.release(['a']);
    const [afterLeave] = await runner.decode(['b'], [8]);
    onDevice('after a left');
    assert.deepEqual(cache.rows, ['b']);
    // b's row moved (re-laid out without a); its logits match a one-pass run over its tokens.
    const reference = await runner.prefill('c', [...prompt, 920, 7, 8]);
    assert.ok(maxDifference(afterLeave!, reference) < 1e-3, 'b after a left vs one pass');
  } finally {
    await runner.close();
  }
});

test('ONNX Runtime 1.30 WebGPU still kills the process on MatMul with an empty inner dimension (why a first chunk gets one masked past position)', {
  skip,
}, () => {
  // [1,2,3,0] × [1,2,0,4]: the probabilities over an empty past times its values, as in a new_key_values graph.
  const g = new GraphBuilder('empty-inner-matmul');
  g.input('a', DataType.FLOAT, [1, 2, 3, 0]);
  g.input('b', DataType.FLOAT, [1, 2, 0, 4]);
  g.op('MatMul', ['a', 'b'], { output: 'y' });
  g.output('y', DataType.FLOAT, [1, 2, 3, 4]);
  const dir = mkdtempSync(join(tmpdir(), 'empty-matmul-'));
  try {
    const { modelPath } = writeModel(g, join(dir, 'model.onnx'));
    const run = (provider: string) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import ort from 'onnxruntime-node';
           const s = await ort.InferenceSession.create(${JSON.stringify(modelPath)}, { executionProviders: ['${provider}'] });
           const empty = (dims) => new ort.Tensor('float32', new Float32Array(0), dims);
           const { y } = await s.run({ a: empty([1, 2, 3, 0]), b: empty([1, 2, 0, 4]) });
           console.log(JSON.stringify([...y.data]));`,
        ],
        { encoding: 'utf8', timeout: 60_000, cwd: process.cwd() },
      );
    const cpu = run('cpu');
    assert.deepEqual(JSON.parse(cpu.stdout), new Array(24).fill(0), cpu.stderr);
    assert.equal(run('webgpu').signal, 'SIGSEGV');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a new_key_values graph on webgpu (the serving default) generates, the same tokens as on the CPU', {
  skip,
}, async () => {
  const modelDir = await tinyRandomModel();
  const prompts = ['Hello', 'Once upon a time, in a land far away,'];
  const [cpu, webgpu] = [
    await greedyAloneAndBatched(modelDir, prompts, 8),
    await greedyAloneAndBatched(modelDir, prompts, 8, { provider: 'webgpu' }),
  ];
  assert.equal(webgpu.info.provider, 'webgpu');
  assert.deepEqual(webgpu.alone, cpu.alone);
  assert.deepEqual(webgpu.batched, webgpu.alone);
});
