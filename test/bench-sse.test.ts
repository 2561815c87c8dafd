import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from '../src/bench/sse.js';

test('events complete at a blank line, however the text is split', () => {
  const stream = 'data: {"a":1}\n\n: keep-alive comment\n\nevent: x\ndata: {"b":2}\r\n\r\ndata: [DONE]\n\n';
  for (const size of [1, 2, 3, 7, stream.length]) {
    const parser = new SseParser();
    const events: string[] = [];
    for (let i = 0; i < stream.length; i += size) events.push(...parser.push(stream.slice(i, i + size)));
    assert.deepEqual(events, ['{"a":1}', '{"b":2}', '[DONE]'], `chunks of ${size}`);
  }
});

test('multi-line data is joined with newlines; an unfinished event is held back', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('data: one\ndata:two\n'), []);
  assert.deepEqual(parser.push('\ndata: three'), ['one\ntwo']);
  assert.deepEqual(parser.push('\n\n'), ['three']);
});
