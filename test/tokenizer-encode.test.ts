import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import llamaTokenizer from 'llama-tokenizer-js';
import { defaultLlama2Vocab } from '../src/tokenizer/default-vocab.js';
import { readLlama2cTokenizer } from '../src/tokenizer/llama2c-tokenizer.js';
import { loadTokenizer } from '../src/tokenizer/load.js';
import { readSentencePieceModel } from '../src/tokenizer/sentencepiece-model.js';
import { SentencePieceTokenizer } from '../src/tokenizer/sentencepiece-tokenizer.js';
import type { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { writeTokenizerFiles } from '../src/tokenizer/tokenizer-files.js';
import type { SentencePieceVocab } from '../src/tokenizer/vocab.js';
import { aidreamsGreedyReference } from './helpers/aidreams.js';
import { fixture, fixturesMissing } from './helpers/paths.js';

const skip = fixturesMissing();
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tokenizer-encode-'));
  dirs.push(dir);
  return dir;
}

/** A model directory holding only tokenizer.model. */
async function sentencePieceDir(): Promise<string> {
  const dir = await tempDir();
  await copyFile(fixture('llama2-tokenizer', 'tokenizer.model'), join(dir, 'tokenizer.model'));
  return dir;
}

async function tokenizerFilesDir(vocab: SentencePieceVocab): Promise<string> {
  const dir = await tempDir();
  await writeTokenizerFiles(vocab, dir);
  return dir;
}

const llamaVocab = async () =>
  readSentencePieceModel(await readFile(fixture('llama2-tokenizer', 'tokenizer.model')));
const referenceCases = async () =>
  JSON.parse(await readFile(fixture('reference', 'llama2-tokenizer.json'), 'utf8')) as {
    text: string;
    ids: number[];
  }[];

function assertReferenceIds(tokenizer: Tokenizer, cases: { text: string; ids: number[] }[]) {
  for (const { text, ids } of cases) assert.deepEqual(tokenizer.encode(text), ids, JSON.stringify(text));
}

test('tokenizer.model gives the exact Llama 2 ids of every reference case', { skip }, async () => {
  const tokenizer = await loadTokenizer(await sentencePieceDir());
  assert.equal(tokenizer.vocabSize, 32000);
  assert.equal(tokenizer.bosId, 1);
  assert.equal(tokenizer.eosId, 2);
  assertReferenceIds(tokenizer, await referenceCases());
});

test('tokenizer.json written from tokenizer.model gives the same ids', { skip }, async () => {
  const tokenizer = await loadTokenizer(await tokenizerFilesDir(await llamaVocab()));
  assertReferenceIds(tokenizer, await referenceCases());
});

test('the default vocabulary (llama-tokenizer-js) tokenizes the reference cases exactly', {
  skip,
}, async () => {
  assertReferenceIds(SentencePieceTokenizer.fromVocab(defaultLlama2Vocab()), await referenceCases());
});

test('tokenizer.json wins over tokenizer.model when both are present', { skip }, async () => {
  const dir = await tokenizerFilesDir(
    readLlama2cTokenizer(await readFile(fixture('aidreams260K', 'tokenizer.bin')), 512),
  );
  await copyFile(fixture('llama2-tokenizer', 'tokenizer.model'), join(dir, 'tokenizer.model'));
  assert.equal((await loadTokenizer(dir)).vocabSize, 512);
});

test('no tokenizer file: a one-line error naming the directory', async () => {
  const dir = await tempDir();
  await assert.rejects(loadTokenizer(dir), { message: `no tokenizer.json or tokenizer.model in ${dir}` });
});

test('"<s>", "</s>" and "[INST]" typed in the text stay text', { skip }, async () => {
  const tokenizer = await loadTokenizer(await tokenizerFilesDir(await llamaVocab()));
  const text = '<s>[INST] Hi </s><s>';
  const ids = tokenizer.encode(text);
  assert.equal(ids[0], 1);
  const rest = ids.slice(1);
  assert.ok(!rest.includes(1) && !rest.includes(2) && !rest.includes(0), JSON.stringify(ids));
  assert.deepEqual(
    tokenizer.encode('<s>').map((id) => tokenizer.idToPiece(id)),
    ['<s>', '▁<', 's', '>'],
  );
  assert.equal(tokenizer.decode(ids), text);
  assert.deepEqual(tokenizer.encode(text, { addBos: false }), rest);
});

test('agrees with llama-tokenizer-js (an independent encoder) on awkward texts', { skip }, async () => {
  const tokenizer = await loadTokenizer(await sentencePieceDir());
  // llama-tokenizer-js answers [] for an empty text; SentencePiece gives BOS alone.
  assert.deepEqual(tokenizer.encode(''), [1]);
  const texts = [
    ' leading and trailing ',
    '\t tabs  and   runs    of spaces     ',
    '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]',
    '日本語のテキスト',
    'Ünïcödé ßtraße',
    '👨‍👩‍👧 family, ʕ•ᴥ•ʔ bear',
    '<0x0A> is not a newline',
    '\ufeffbyte order mark',
    'x'.repeat(300),
    // Long and varied: runs of spaces and newlines between words, where BPE must not merge across words.
    Array.from(
      { length: 400 },
      (_, i) => ['word', '  ', 'ünï', '\n\n', '🦙', '   x', 'The'][i % 7]! + i,
    ).join(' '),
    'https://example.com/a?b=c&d=e\r\n',
  ];
  for (const text of texts)
    assert.deepEqual(tokenizer.encode(text), llamaTokenizer.encode(text), JSON.stringify(text));
});

test('aidreams260K tokenizer.bin → tokenizer.json encodes each reference prompt to its prompt_ids', {
  skip,
}, async () => {
  const vocab = readLlama2cTokenizer(await readFile(fixture('aidreams260K', 'tokenizer.bin')), 512);
  const tokenizer = await loadTokenizer(await tokenizerFilesDir(vocab));
  const cases = aidreamsGreedyReference();
  assert.ok(cases.length > 0);
  for (const { prompt, prompt_ids } of cases) assert.deepEqual(tokenizer.encode(prompt), prompt_ids, prompt);
});

test('tokenizer files: the legacy Llama layout, BOS added by the post-processor', { skip }, async () => {
  const dir = await tokenizerFilesDir(await llamaVocab());
  const read = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8'));
  const json = await read('tokenizer.json');
  assert.deepEqual(json.normalizer, {
    type: 'Sequence',
    normalizers: [
      { type: 'Prepend', prepend: '▁' },
      { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    ],
  });
  assert.equal(json.pre_tokenizer, null);
  assert.deepEqual(json.decoder.decoders, [
    { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
    { type: 'ByteFallback' },
    { type: 'Fuse' },
    { type: 'Strip', content: ' ', start: 1, stop: 0 },
  ]);
  assert.equal(json.post_processor.type, 'TemplateProcessing');
  assert.deepEqual(json.post_processor.special_tokens['<s>'].ids, [1]);
  assert.deepEqual(
    json.added_tokens.map((t: { id: number; content: string; special: boolean }) => [
      t.id,
      t.content,
      t.special,
    ]),
    [
      [0, '<unk>', true],
      [1, '<s>', true],
      [2, '</s>', true],
    ],
  );
  assert.deepEqual(
    {
      type: json.model.type,
      fallback: json.model.byte_fallback,
      fuse: json.model.fuse_unk,
      unk: json.model.unk_token,
    },
    { type: 'BPE', fallback: true, fuse: true, unk: '<unk>' },
  );
  assert.equal(Object.keys(json.model.vocab).length, 32000);
  assert.equal(json.model.vocab['▁Hello'], 15043);
  assert.deepEqual(json.model.merges.slice(0, 3), ['▁ t', 'e r', 'i n']);
  const config = await read('tokenizer_config.json');
  assert.deepEqual([config.bos_token, config.eos_token, config.add_bos_token], ['<s>', '</s>', true]);
  assert.deepEqual(await read('special_tokens_map.json'), {
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
  });
});
