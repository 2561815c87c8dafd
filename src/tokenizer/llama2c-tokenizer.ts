import { llamaPieceType, type SentencePieceVocab, SPACE_MARKER } from './vocab.js';

const UNK_ID = 0;
const BOS_ID = 1;
const EOS_ID = 2;

/**
 * Reads a llama2.c `tokenizer.bin`: int32 max_token_length, then vocabSize × {float32 score, int32 length,
 * UTF-8 bytes}, little-endian. The file does not store its piece count: the checkpoint header does.
 * llama2.c writes spaces as plain spaces and BOS/EOS as "\n<s>\n"/"\n</s>\n"; they are given back their
 * SentencePiece spellings here. Its encoder always adds the dummy prefix and falls back to bytes.
 */
export function readLlama2cTokenizer(bytes: Uint8Array, vocabSize: number): SentencePieceVocab {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ignoreBOM: Llama has a piece that is exactly U+FEFF, which a default decoder would swallow.
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const ids = { unkId: UNK_ID, bosId: BOS_ID, eosId: EOS_ID };
  const pieces: SentencePieceVocab['pieces'] = [];
  let offset = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (offset + 8 > bytes.byteLength) {
      throw new Error(`tokenizer.bin ends after ${id} of ${vocabSize} pieces`);
    }
    const score = view.getFloat32(offset, true);
    const length = view.getInt32(offset + 4, true);
    offset += 8;
    if (length < 0 || offset + length > bytes.byteLength) {
      throw new Error(`tokenizer.bin: piece ${id} has a bad length ${length}`);
    }
    const text = utf8.decode(bytes.subarray(offset, offset + length));
    offset += length;
    const piece =
      id === UNK_ID
        ? '<unk>'
        : id === BOS_ID
          ? '<s>'
          : id === EOS_ID
            ? '</s>'
            : text.replaceAll(' ', SPACE_MARKER);
    pieces.push({ piece, score, type: llamaPieceType(id, piece, ids) });
  }
  return { pieces, ...ids, addDummyPrefix: true, byteFallback: true };
}
