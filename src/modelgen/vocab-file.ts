/** Reads a tokenizer file given to create-random or convert: a SentencePiece .model or a llama2.c .bin. */
import { readFile } from 'node:fs/promises';
import { readLlama2cTokenizer } from '../tokenizer/llama2c-tokenizer.js';
import { readSentencePieceModel } from '../tokenizer/sentencepiece-model.js';
import type { SentencePieceVocab } from '../tokenizer/vocab.js';

/**
 * How many pieces a llama2.c tokenizer.bin holds. The format does not say (the checkpoint header does),
 * so walk the {score, length, bytes} records to the end of the file.
 */
function llama2cPieceCount(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let offset = 4; offset + 8 <= bytes.byteLength; count++) {
    const length = view.getInt32(offset + 4, true);
    // A negative length would walk back (or stand still) forever.
    if (length < 0) throw new Error(`piece ${count} at byte ${offset} has a negative length (${length})`);
    offset += 8 + length;
  }
  return count;
}

const isSentencePieceModel = (path: string) => path.endsWith('.model');

/**
 * The vocabulary in `path`. With `vocabSize`, the file must hold exactly that many pieces (a llama2.c model
 * and its tokenizer must agree); without, a llama2.c file's own piece count is used.
 */
export async function readVocabFile(path: string, vocabSize?: number): Promise<SentencePieceVocab> {
  const bytes = await readFile(path);
  let vocab: SentencePieceVocab;
  try {
    vocab = isSentencePieceModel(path)
      ? readSentencePieceModel(bytes)
      : readLlama2cTokenizer(bytes, vocabSize ?? llama2cPieceCount(bytes));
  } catch (err) {
    throw new Error(`tokenizer ${path}: ${(err as Error).message}`);
  }
  if (vocabSize !== undefined) {
    // A llama2.c file was read up to vocabSize pieces: count them all to catch a longer file.
    const pieces = isSentencePieceModel(path) ? vocab.pieces.length : llama2cPieceCount(bytes);
    if (pieces !== vocabSize) {
      throw new Error(`tokenizer ${path} has ${pieces} pieces but the model's vocab_size is ${vocabSize}`);
    }
  }
  return vocab;
}
