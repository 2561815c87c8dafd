import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admission } from '../src/scheduler/admission.js';

test('admission takes at most `limit` slots; a release frees one, once', async () => {
  const admission = new Admission(2);
  const first = admission.tryEnter();
  const second = admission.tryEnter();
  assert.ok(first && second);
  assert.equal(admission.tryEnter(), undefined);
  assert.equal(admission.count, 2);
  first();
  first();
  assert.equal(admission.count, 1);
  const third = admission.tryEnter();
  assert.ok(third);
  assert.equal(admission.tryEnter(), undefined);
  let idle = false;
  const whenIdle = admission.whenIdle().then(() => {
    idle = true;
  });
  second();
  await Promise.resolve();
  assert.equal(idle, false);
  third();
  await whenIdle;
  assert.equal(admission.count, 0);
});
