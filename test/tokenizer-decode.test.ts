import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, test } from 'node:test';
import { readLlama2cTokenizer } from '../src/tokenizer/llama2c-tokenizer.js';
import { readSentencePieceModel } from '../src/tokenizer/sentencepiece-model.js';
import { SentencePieceTokenizer } from '../src/tokenizer/sentencepiece-tokenizer.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { fixture, fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
let llama: Tokenizer;
let cases: { text: string; ids: number[] }[];

before(async () => {
  if (skip) return;
  llama = SentencePieceTokenizer.fromVocab(
    readSentencePieceModel(await readFile(fixture('llama2-tokenizer', 'tokenizer.model'))),
  );
  cases = JSON.parse(await readFile(fixture('reference', 'llama2-tokenizer.json'), 'utf8'));
});

const caseOf = (start: string) => cases.find((c) => c.text.startsWith(start))!;

/** Every delta of a stream decoder fed the ids one at a time, then its flush. */
function streamDeltas(tokenizer: Tokenizer, ids: readonly number[]): string[] {
  const decoder = tokenizer.createStreamDecoder();
  return [...ids.map((id) => decoder.push(id)), decoder.flush()];
}

test('decode() gives back every reference text; control ids are skipped', { skip }, () => {
  for (const { text, ids } of cases) {
    assert.equal(llama.decode(ids), text);
    assert.equal(llama.decode([...ids, 2]), text);
    assert.equal(llama.decode(ids.slice(1)), text, 'without BOS');
  }
  assert.equal(llama.decode([1, 0, 15043, 0, 2]), 'Hello');
});

test('decode() drops only the one space the dummy prefix added', { skip }, () => {
  assert.equal(llama.decode([1, 268]), '   ');
  assert.equal(llama.decode(llama.encode('  two leading spaces')), '  two leading spaces');
});

test('idToPiece names the vocabulary pieces', { skip }, () => {
  assert.deepEqual(
    [1, 2, 13, 15043, 29871].map((id) => llama.idToPiece(id)),
    ['<s>', '</s>', '<0x0A>', '▁Hello', '▁'],
  );
  assert.throws(() => llama.idToPiece(32000), RangeError);
});

test('stream decoding of the emoji case: whole characters only, the leading space kept', { skip }, () => {
  const { text, ids } = caseOf('Emoji');
  const continuation = ids.slice(1);
  const deltas = streamDeltas(llama, continuation);
  // "▁Emoji" is " Emoji" as a continuation; each emoji is four byte pieces that emit nothing until the last.
  assert.deepEqual(deltas, [' Em', 'o', 'ji', ' ', '', '', '', '🦙', '', '', '', '🔥', ' test', '']);
  assert.equal(deltas.join(''), ` ${text}`);
  assert.ok(deltas.every((delta) => !delta.includes('\ufffd')));
});

test('stream decoding of the accented case, token by token, equals decode() of the same ids', {
  skip,
}, () => {
  const { text, ids } = caseOf('Émile');
  const deltas = streamDeltas(llama, ids.slice(1));
  assert.equal(deltas[0], ' É');
  assert.equal(deltas.join(''), ` ${text}`);
  // As a continuation after a prompt, the deltas are what decode() of prompt + continuation adds.
  const prompt = llama.encode('Quote:');
  assert.equal(llama.decode(prompt) + deltas.join(''), llama.decode([...prompt, ...ids.slice(1)]));
});

test('a partial UTF-8 sequence is held back, and flushed as U+FFFD when it never completes', { skip }, () => {
  const decoder = llama.createStreamDecoder();
  assert.equal(decoder.push(15043), ' Hello');
  assert.equal(decoder.push(243), '');
  assert.equal(decoder.push(162), '');
  assert.equal(decoder.flush(), '\ufffd');
});

test('aidreams260K: prompt + streamed continuation is the reference full_text', { skip }, async () => {
  const tokenizer = SentencePieceTokenizer.fromVocab(
    readLlama2cTokenizer(await readFile(fixture('aidreams260K', 'tokenizer.bin')), 512),
  );
  const greedy = aidreamsGreedyReference();
  for (const { prompt, prompt_ids, generated_ids, full_text } of greedy) {
    assert.equal(prompt + streamDeltas(tokenizer, generated_ids).join(''), full_text);
    assert.equal(tokenizer.decode([...prompt_ids, ...generated_ids]), full_text);
  }
});
