import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import llamaTokenizer from 'llama-tokenizer-js';
import { bpeMerges } from '../src/tokenizer/bpe-merges.js';
import { defaultLlama2Vocab } from '../src/tokenizer/default-vocab.js';
import { readLlama2cTokenizer } from '../src/tokenizer/llama2c-tokenizer.js';
import { readSentencePieceModel } from '../src/tokenizer/sentencepiece-model.js';
import { fixture, fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
const llamaModel = () => readSentencePieceModel(readFileSync(fixture('llama2-tokenizer', 'tokenizer.model')));

test('tokenizer.model: Llama 2 BPE vocabulary, ids and flags', { skip }, () => {
  const vocab = llamaModel();
  assert.equal(vocab.pieces.length, 32000);
  assert.deepEqual(
    {
      unk: vocab.unkId,
      bos: vocab.bosId,
      eos: vocab.eosId,
      prefix: vocab.addDummyPrefix,
      bytes: vocab.byteFallback,
    },
    { unk: 0, bos: 1, eos: 2, prefix: true, bytes: true },
  );
  assert.deepEqual(vocab.pieces[0], { piece: '<unk>', score: 0, type: 'unknown' });
  assert.deepEqual(vocab.pieces[1], { piece: '<s>', score: 0, type: 'control' });
  assert.deepEqual(vocab.pieces[13], { piece: '<0x0A>', score: 0, type: 'byte' });
  assert.deepEqual(vocab.pieces[15043], { piece: '▁Hello', score: -14784, type: 'normal' });
  // A piece that is exactly U+FEFF must survive decoding.
  assert.equal(vocab.pieces[30143]!.piece, '\ufeff');
});

test('tokenizer.model: garbage and truncated files are refused', { skip }, () => {
  const bytes = readFileSync(fixture('llama2-tokenizer', 'tokenizer.model'));
  assert.throws(() => readSentencePieceModel(bytes.subarray(0, 1001)), /not a SentencePiece model/);
  assert.throws(() => readSentencePieceModel(new TextEncoder().encode('{"model": "json"}')), /SentencePiece/);
});

test('llama2.c tokenizer.bin of Llama 2 equals tokenizer.model, scores and types included', { skip }, () => {
  const fromBin = readLlama2cTokenizer(readFileSync(fixture('llama2-tokenizer', 'tokenizer.bin')), 32000);
  assert.deepEqual(fromBin, llamaModel());
});

test('llama2.c tokenizer.bin of aidreams260K: 512 pieces in the Llama layout', { skip }, () => {
  const bytes = readFileSync(fixture('aidreams260K', 'tokenizer.bin'));
  const vocab = readLlama2cTokenizer(bytes, 512);
  assert.equal(vocab.pieces.length, 512);
  assert.deepEqual(
    vocab.pieces.slice(0, 4).map((p) => [p.piece, p.type]),
    [
      ['<unk>', 'unknown'],
      ['<s>', 'control'],
      ['</s>', 'control'],
      ['<0x00>', 'byte'],
    ],
  );
  assert.equal(vocab.pieces[262]!.piece, '▁a');
  assert.ok(vocab.pieces.slice(259).every((p) => p.type === 'normal' && !p.piece.includes(' ')));
  assert.throws(() => readLlama2cTokenizer(bytes, 513), /ends after 512 of 513 pieces/);
});

test('defaultLlama2Vocab() equals Meta tokenizer.model: pieces, ids, scores, types', { skip }, () => {
  assert.deepEqual(defaultLlama2Vocab(), llamaModel());
});

test('merges derived from tokenizer.model equal the official Llama 2 tokenizer.json merges', { skip }, () => {
  // llama-tokenizer-js ships the merges of Hugging Face's Llama 2 tokenizer.json, in rank order.
  const official = [...llamaTokenizer.merges.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
  const derived = bpeMerges(llamaModel()).map(([left, right]) => `${left} ${right}`);
  assert.equal(derived.length, 61249);
  assert.deepEqual(derived, official);
});

test('merges: ranked by merged score, then left id; never into control or byte pieces', () => {
  const piece = (text: string, score: number, type: 'normal' | 'control' = 'normal') => ({
    piece: text,
    score,
    type,
  });
  const vocab = {
    pieces: [
      piece('<s>', 0, 'control'),
      piece('<', -10),
      piece('s', -11),
      piece('>', -12),
      piece('s>', -3),
      piece('ab', -1),
      piece('a', -20),
      piece('b', -21),
      piece('abb', -2),
      piece('bb', -5),
    ],
    unkId: 0,
    bosId: 0,
    eosId: 0,
    addDummyPrefix: true,
    byteFallback: false,
  };
  assert.deepEqual(bpeMerges(vocab), [
    ['a', 'b'],
    ['ab', 'b'],
    ['a', 'bb'],
    ['s', '>'],
    ['b', 'b'],
  ]);
});
