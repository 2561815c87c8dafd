/**
 * Writes a vocabulary as a SentencePiece `tokenizer.model` (ModelProto, proto2), the fields
 * readSentencePieceModel reads: the pieces, a BPE trainer spec with byte fallback and the special ids, and a
 * normalizer that adds the dummy prefix and keeps whitespace as is (as Llama 2's).
 */
import protobuf from 'protobufjs/minimal.js';
import type { PieceType, SentencePieceVocab } from './vocab.js';

const PIECE_TYPE_CODES: Record<PieceType, number> = {
  normal: 1,
  unknown: 2,
  control: 3,
  user_defined: 4,
  unused: 5,
  byte: 6,
};
const BPE_MODEL_TYPE = 2;
const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const tag = (field: number, wireType: number) => (field << 3) | wireType;

export function encodeSentencePieceModel(vocab: SentencePieceVocab): Uint8Array {
  const w = protobuf.Writer.create();
  for (const { piece, score, type } of vocab.pieces) {
    w.uint32(tag(1, WIRE_LENGTH_DELIMITED)).fork();
    w.uint32(tag(1, WIRE_LENGTH_DELIMITED)).string(piece);
    w.uint32(tag(2, WIRE_FIXED32)).float(score);
    w.uint32(tag(3, WIRE_VARINT)).int32(PIECE_TYPE_CODES[type]);
    w.ldelim();
  }
  w.uint32(tag(2, WIRE_LENGTH_DELIMITED)).fork();
  w.uint32(tag(3, WIRE_VARINT)).int32(BPE_MODEL_TYPE);
  w.uint32(tag(35, WIRE_VARINT)).bool(vocab.byteFallback);
  w.uint32(tag(40, WIRE_VARINT)).int32(vocab.unkId);
  w.uint32(tag(41, WIRE_VARINT)).int32(vocab.bosId);
  w.uint32(tag(42, WIRE_VARINT)).int32(vocab.eosId);
  w.ldelim();
  w.uint32(tag(3, WIRE_LENGTH_DELIMITED)).fork();
  w.uint32(tag(3, WIRE_VARINT)).bool(vocab.addDummyPrefix);
  w.uint32(tag(4, WIRE_VARINT)).bool(false);
  w.ldelim();
  return w.finish();
}
