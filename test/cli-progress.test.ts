import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { formatBytes, formatDuration, withProgress } from '../src/cli/progress.js';

/** A stream (not a terminal) that keeps what is written to it. */
function collected() {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, written };
}

test('plain progress lines give tensors, bytes, percent, rate and time left, then a summary', async () => {
  const { stream, written } = collected();
  const total = { tensorsTotal: 4, bytesTotal: 2e9 };
  const result = await withProgress(
    'quantize',
    async (onProgress) => {
      onProgress({ ...total, tensorsDone: 0, bytesDone: 0 });
      await new Promise((resolve) => setTimeout(resolve, 600));
      onProgress({ ...total, tensorsDone: 1, bytesDone: 5e8 });
      onProgress({ ...total, tensorsDone: 4, bytesDone: 2e9 });
      return 'done';
    },
    { stream, intervalMs: 0 },
  );
  assert.equal(result, 'done');
  const lines = written.join('').trim().split('\n');
  assert.equal(lines.length, 3, written.join(''));
  assert.equal(lines[0], 'quantize: 4 tensors, 2.00 GB to write');
  assert.match(lines[1]!, /^quantize: 1\/4 tensors, 500 MB of 2.00 GB \(25%\), [\d.]+ MB\/s, ETA \d+s$/);
  assert.match(lines[2]!, /^quantize: wrote 4 tensors, 2.00 GB in \d+s, [\d.]+ GB\/s$/);
});

test('a failed write ends the progress without a summary line', async () => {
  const { stream, written } = collected();
  await assert.rejects(
    withProgress(
      'convert',
      async (onProgress) => {
        onProgress({ tensorsDone: 0, tensorsTotal: 2, bytesDone: 0, bytesTotal: 10 });
        throw new Error('bad shard');
      },
      { stream },
    ),
    /bad shard/,
  );
  assert.deepEqual(written, ['convert: 2 tensors, 10 B to write\n']);
});

test('sizes in decimal units, durations in s, m and h', () => {
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1500), '1.50 kB');
  assert.equal(formatBytes(26.03e9), '26.0 GB');
  assert.equal(formatDuration(42.4), '42s');
  assert.equal(formatDuration(291), '4m 51s');
  assert.equal(formatDuration(7320), '2h 02m');
});
