import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackAddress, nonLoopbackAddresses } from '../src/bench/loopback.js';

test('loopback addresses are 127.0.0.0/8, ::1 and their IPv4-mapped form', () => {
  for (const address of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
    assert.equal(isLoopbackAddress(address), true, address);
  }
  for (const address of [
    '10.0.0.1',
    '128.0.0.1',
    '0.0.0.0',
    '::',
    '::2',
    '::ffff:10.0.0.1',
    'localhost',
    '',
  ]) {
    assert.equal(isLoopbackAddress(address), false, address);
  }
});

test('literal hosts are judged without DNS; localhost resolves to loopback', async () => {
  assert.deepEqual(await nonLoopbackAddresses(new URL('http://127.0.0.1:5001/')), []);
  assert.deepEqual(await nonLoopbackAddresses(new URL('http://[::1]:5001/')), []);
  assert.deepEqual(await nonLoopbackAddresses(new URL('http://192.168.1.20/')), ['192.168.1.20']);
  assert.deepEqual(await nonLoopbackAddresses(new URL('http://[2001:db8::1]:80/')), ['2001:db8::1']);
  assert.deepEqual(await nonLoopbackAddresses(new URL('http://localhost:5001/')), []);
});
