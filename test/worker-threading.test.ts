import assert from 'node:assert/strict';
import { test } from 'node:test';
import { visibleGpuIds } from '../src/engine/gpu-devices.js';
import { defaultDeviceIds, defaultIntraOpThreads } from '../src/worker/threading.js';

test('one worker (device 0) on the CPU and WebGPU whatever the GPUs; one per visible GPU with cuda and auto', () => {
  const four = () => [0, 1, 2, 3];
  assert.deepEqual(defaultDeviceIds('cpu', four), [0]);
  assert.deepEqual(defaultDeviceIds('webgpu', four), [0]);
  assert.deepEqual(defaultDeviceIds('cuda', four), [0, 1, 2, 3]);
  assert.deepEqual(defaultDeviceIds('auto', four), [0, 1, 2, 3]);
  assert.deepEqual(
    defaultDeviceIds('cuda', () => []),
    [0],
  );
});

test('visible GPUs follow CUDA_VISIBLE_DEVICES when it is set (CUDA numbers them from 0)', () => {
  assert.deepEqual(visibleGpuIds({ CUDA_VISIBLE_DEVICES: '2,5' }), [0, 1]);
  assert.deepEqual(visibleGpuIds({ CUDA_VISIBLE_DEVICES: '' }), []);
  assert.deepEqual(visibleGpuIds({ CUDA_VISIBLE_DEVICES: '-1' }), []);
});

test('intra-op threads share the cores among the workers, at least one each', () => {
  assert.equal(defaultIntraOpThreads(2, 1), 2);
  assert.equal(defaultIntraOpThreads(16, 4), 4);
  assert.equal(defaultIntraOpThreads(2, 4), 1);
});
