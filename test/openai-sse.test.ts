import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from '../src/bench/sse.js';
import { SSE_DONE, sseEvent, sseFrames } from '../src/server/http/sse.js';

async function* values<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect(frames: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const frame of frames) out.push(frame);
  return out;
}

test('each value is one `data:` event of its JSON, and the stream ends with [DONE]', async () => {
  const frames = await collect(sseFrames(values([{ a: 1 }, { b: 'two' }])));
  assert.deepEqual(frames, ['data: {"a":1}\n\n', 'data: {"b":"two"}\n\n', 'data: [DONE]\n\n']);
  assert.equal(frames.at(-1), SSE_DONE);
});

test('the bench SSE reader reads back every value, newlines and emoji in text included, however it is split', async () => {
  const sent = [
    { choices: [{ text: 'line one\nline two\r\n', finish_reason: null }] },
    { choices: [{ text: 'data: [DONE]\n\n', finish_reason: null }] },
    { choices: [{ text: '😀 café', finish_reason: 'stop' }] },
  ];
  const bytes = Buffer.from((await collect(sseFrames(values(sent)))).join(''), 'utf8');
  for (const size of [1, 3, 7, bytes.length]) {
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const events: string[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      events.push(...parser.push(decoder.decode(bytes.subarray(i, i + size), { stream: true })));
    }
    assert.deepEqual(events.at(-1), '[DONE]', `pieces of ${size} bytes`);
    assert.deepEqual(
      events.slice(0, -1).map((data) => JSON.parse(data)),
      sent,
      `pieces of ${size} bytes`,
    );
  }
});

test('a value is never split across events: a text with blank lines stays one data line', () => {
  const frame = sseEvent({ text: 'a\n\nb' });
  assert.equal(frame.split('\n').filter((line) => line.startsWith('data:')).length, 1);
  assert.ok(frame.endsWith('\n\n') && !frame.slice(0, -2).includes('\n'));
});
