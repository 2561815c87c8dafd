import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { buildPrompt, repeatedWordText, type TokenCounter } from '../src/bench/prompt.js';
import { defaultLlama2Vocab } from '../src/tokenizer/default-vocab.js';
import { readLlama2cTokenizer } from '../src/tokenizer/llama2c-tokenizer.js';
import { readSentencePieceModel } from '../src/tokenizer/sentencepiece-model.js';
import { SentencePieceTokenizer } from '../src/tokenizer/sentencepiece-tokenizer.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { fixture, fixturesMissing } from './helpers/paths.js';

const counter =
  (tokenizer: Tokenizer): TokenCounter =>
  async (text) =>
    tokenizer.encode(text);

test('"hello" repeated is one Llama-2 token per word, plus BOS', { skip: fixturesMissing() }, async () => {
  const meta = SentencePieceTokenizer.fromVocab(
    readSentencePieceModel(await readFile(fixture('llama2-tokenizer', 'tokenizer.model'))),
  );
  for (const words of [1, 2, 31, 500]) {
    const ids = meta.encode(repeatedWordText(words));
    assert.equal(ids.length, words + 1, `${words} words`);
    assert.equal(ids[0], meta.bosId);
  }
});

test('without a server tokenizer the length is assumed from the word count', async () => {
  const prompt = await buildPrompt(32);
  assert.deepEqual(prompt, { text: repeatedWordText(31), tokens: 32, checkedBy: 'assumed' });
  const unanswered = await buildPrompt(8, async () => undefined);
  assert.equal(unanswered.checkedBy, 'assumed');
});

test('with the server tokenizer the length is checked', async () => {
  const prompt = await buildPrompt(32, counter(SentencePieceTokenizer.fromVocab(defaultLlama2Vocab())));
  assert.deepEqual(prompt, { text: repeatedWordText(31), tokens: 32, checkedBy: 'tokenize' });
});

test('a tokenizer that splits "hello" gets fewer words, as close to the target as words allow', {
  skip: fixturesMissing(),
}, async () => {
  // aidreams260K's 512-piece vocabulary has no "▁hello" piece.
  const small = SentencePieceTokenizer.fromVocab(
    readLlama2cTokenizer(await readFile(fixture('aidreams260K', 'tokenizer.bin')), 512),
  );
  const perWord = small.encode('hello hello').length - small.encode('hello').length;
  assert.ok(perWord > 1, `"hello" is ${perWord} tokens here`);
  const prompt = await buildPrompt(64, counter(small));
  assert.equal(prompt.checkedBy, 'tokenize');
  assert.equal(small.encode(prompt.text).length, prompt.tokens);
  assert.ok(Math.abs(prompt.tokens - 64) < perWord, `${prompt.tokens} tokens for a target of 64`);
});

test('a prompt needs BOS and at least one word', async () => {
  await assert.rejects(buildPrompt(1), /at least 2 tokens/);
});
