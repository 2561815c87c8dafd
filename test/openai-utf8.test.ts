/**
 * Multi-byte characters split across tokens are never streamed half. A character the vocabulary has no piece
 * for is generated as its UTF-8 bytes, one byte-fallback token (`<0xF0>`, `<0x9F>`, ...) each; every token is
 * streamed as soon as it is decoded, so the server must hold a character's first bytes back until its last
 * byte arrives.
 *
 * No model here writes an emoji on purpose, and logit bias is not available, so the test makes byte tokens
 * common instead: a seeded random-weight model with aidreams260K's 512-piece vocabulary (half of it the 256
 * byte pieces), sampled at temperature 2. Random bytes then form whole 2- and 3-byte characters in most
 * 300-token answers (4-byte ones, like emoji, are too rare to wait for: each needs four bytes in a row from
 * the right ranges; they take the same path, and tokenizer-decode.test.ts streams an emoji's four byte pieces
 * through the decoder itself). Seeds are tried in order until an answer holds a
 * character from byte pieces, which with these settings is the first seed or the next; the run is then
 * deterministic. Invalid byte runs decode to U+FFFD, as the one-shot decode of the same bytes does.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SseParser } from '../src/bench/sse.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { tinyRandomModel } from './helpers/models.js';
import { fixture, fixturesMissing } from './helpers/paths.js';
import { postJson, startServer, type TestServer } from './helpers/server.js';

const skip = fixturesMissing();
let server: TestServer;
/** Characters some non-byte piece of the vocabulary holds. */
let inVocabulary: Set<string>;

before(async () => {
  if (skip) return;
  const modelDir = await tinyRandomModel({ tokenizer: fixture('aidreams260K', 'tokenizer.bin') });
  const tokenizer = await loadTokenizer(modelDir);
  inVocabulary = new Set();
  for (let id = 0; id < tokenizer.vocabSize; id++) {
    const piece = tokenizer.idToPiece(id);
    if (!/^<0x[0-9A-F]{2}>$/.test(piece)) for (const char of piece) inVocabulary.add(char);
  }
  server = await startServer({ modelDir });
});
after(() => server?.close());

const request = (seed: number, stream: boolean) => ({
  messages: [{ role: 'user', content: 'Answer with an emoji 😀 or two' }],
  temperature: 2,
  max_tokens: 300,
  ignore_eos: true,
  seed,
  stream,
});

/** The content deltas of a streamed chat answer; every event's bytes must be valid UTF-8 on their own. */
async function streamedDeltas(seed: number): Promise<string[]> {
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request(seed, true)),
  });
  assert.equal(response.status, 200);
  const raw = Buffer.from(await response.arrayBuffer());
  const strict = new TextDecoder('utf-8', { fatal: true });
  const events = new SseParser().push(strict.decode(raw));
  assert.equal(events.at(-1), '[DONE]');
  const deltas: string[] = [];
  for (const data of events.slice(0, -1)) {
    strict.decode(Buffer.from(`data: ${data}\n\n`, 'utf8'));
    const content = (JSON.parse(data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta
      .content;
    if (content) deltas.push(content);
  }
  return deltas;
}

/** Whole UTF-16: no lone surrogate (what half of a 4-byte character would leave), so it re-encodes as is. */
const wellFormed = (text: string) => Buffer.from(text, 'utf8').toString('utf8') === text;

test('every streamed chunk is whole UTF-8, also where a character came from several byte tokens', {
  skip,
}, async () => {
  for (let seed = 1; seed <= 8; seed++) {
    const deltas = await streamedDeltas(seed);
    for (const delta of deltas) assert.ok(wellFormed(delta), JSON.stringify(delta));
    const fromBytes = [...deltas.join('')].filter(
      (char) => char.codePointAt(0)! > 0x7f && char !== '\ufffd' && !inVocabulary.has(char),
    );
    if (fromBytes.length === 0) continue;

    // The same seed without streaming: the same text, so nothing was lost or doubled at the held-back bytes.
    const { status, json } = await postJson(`${server.url}/v1/chat/completions`, request(seed, false));
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(
      deltas.join(''),
      (json as { choices: { message: { content: string } }[] }).choices[0]!.message.content,
    );
    // Each such character came as 2+ byte tokens, each its own step: decoded token by token, its bytes would
    // have become U+FFFDs in separate chunks. It is here whole, so its first bytes were held back.
    assert.ok(fromBytes.every((char) => Buffer.byteLength(char) >= 2));
    return;
  }
  assert.fail(
    'no seed from 1 to 8 produced a character from byte tokens; the settings above no longer do what they say',
  );
});
