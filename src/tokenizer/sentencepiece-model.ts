import protobuf from 'protobufjs/minimal.js';
import type { PieceType, SentencePieceVocab } from './vocab.js';

/** ModelProto.SentencePiece.Type values, in enum order from NORMAL = 1. */
const PIECE_TYPES: readonly PieceType[] = ['normal', 'unknown', 'control', 'user_defined', 'unused', 'byte'];

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;
const BPE_MODEL_TYPE = 2;

type Reader = protobuf.Reader;

/** Calls onField(fieldNumber, wireType) for each field of the message ending at `end`; it must consume the value. */
function readFields(
  reader: Reader,
  end: number,
  onField: (field: number, wireType: number) => boolean,
): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (!onField(field, wireType)) reader.skipType(wireType);
  }
}

function readPiece(reader: Reader, end: number): SentencePieceVocab['pieces'][number] {
  let piece = '';
  let score = 0;
  let type: PieceType = 'normal';
  readFields(reader, end, (field, wireType) => {
    if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) piece = reader.string();
    else if (field === 2 && wireType === WIRE_FIXED32) score = reader.float();
    else if (field === 3 && wireType === WIRE_VARINT) {
      const value = reader.int32();
      const known = PIECE_TYPES[value - 1];
      if (!known) throw new Error(`tokenizer.model: unknown piece type ${value} for '${piece}'`);
      type = known;
    } else return false;
    return true;
  });
  return { piece, score, type };
}

/**
 * Reads a SentencePiece `tokenizer.model` (ModelProto, proto2). Only BPE models are accepted: the
 * tokenizers built from the result are BPE, and a Unigram model would silently tokenize differently.
 */
export function readSentencePieceModel(bytes: Uint8Array): SentencePieceVocab {
  const reader = protobuf.Reader.create(bytes);
  const pieces: SentencePieceVocab['pieces'] = [];
  // proto2 defaults of TrainerSpec and NormalizerSpec.
  let modelType = 1;
  let byteFallback = false;
  let unkId = 0;
  let bosId = 1;
  let eosId = 2;
  let addDummyPrefix = true;
  try {
    readFields(reader, reader.len, (field, wireType) => {
      if (wireType !== WIRE_LENGTH_DELIMITED) return false;
      const end = reader.uint32() + reader.pos;
      if (field === 1) {
        pieces.push(readPiece(reader, end));
      } else if (field === 2) {
        readFields(reader, end, (specField, specWire) => {
          if (specWire !== WIRE_VARINT) return false;
          if (specField === 3) modelType = reader.int32();
          else if (specField === 35) byteFallback = reader.bool();
          else if (specField === 40) unkId = reader.int32();
          else if (specField === 41) bosId = reader.int32();
          else if (specField === 42) eosId = reader.int32();
          else return false;
          return true;
        });
      } else if (field === 3) {
        readFields(reader, end, (specField, specWire) => {
          if (specField !== 3 || specWire !== WIRE_VARINT) return false;
          addDummyPrefix = reader.bool();
          return true;
        });
      } else {
        reader.skip(end - reader.pos);
      }
      return true;
    });
  } catch (err) {
    throw new Error(`tokenizer.model is not a SentencePiece model: ${(err as Error).message}`);
  }
  if (pieces.length === 0) throw new Error('tokenizer.model holds no pieces');
  if (modelType !== BPE_MODEL_TYPE) {
    throw new Error(
      `tokenizer.model is a SentencePiece model of type ${modelType}; only BPE (2, as Llama) is supported`,
    );
  }
  return { pieces, unkId, bosId, eosId, addDummyPrefix, byteFallback };
}
