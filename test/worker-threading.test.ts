import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultIntraOpThreads, defaultWorkers } from '../src/worker/threading.js';

test('one worker on the CPU whatever the GPUs; one per GPU with CUDA, at least one', () => {
  assert.equal(
    defaultWorkers('cpu', () => 4),
    1,
  );
  assert.equal(
    defaultWorkers('cuda', () => 4),
    4,
  );
  assert.equal(
    defaultWorkers('cuda', () => 0),
    1,
  );
});

test('intra-op threads share the cores among the workers, at least one each', () => {
  assert.equal(defaultIntraOpThreads(2, 1), 2);
  assert.equal(defaultIntraOpThreads(16, 4), 4);
  assert.equal(defaultIntraOpThreads(2, 4), 1);
});
