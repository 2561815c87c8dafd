/**
 * A SentencePiece BPE vocabulary, whatever file it came from (tokenizer.model, llama2.c tokenizer.bin,
 * the llama-tokenizer-js package): the single input from which tokenizer files and tokenizers are built.
 */

/** SentencePiece's piece types (ModelProto.SentencePiece.Type, lower-cased). */
export type PieceType = 'normal' | 'unknown' | 'control' | 'user_defined' | 'unused' | 'byte';

export interface SentencePieceVocab {
  /** Indexed by token id. Spaces appear as "▁" (U+2581), byte-fallback pieces as "<0xXX>". */
  pieces: { piece: string; score: number; type: PieceType }[];
  unkId: number;
  bosId: number;
  eosId: number;
  /** Prepend "▁" to the text before encoding (Llama: true). */
  addDummyPrefix: boolean;
  /** Characters outside the vocabulary become their UTF-8 bytes' <0xXX> pieces instead of <unk>. */
  byteFallback: boolean;
}

/** SentencePiece's word-boundary marker: a space in the text is this character in a piece. */
export const SPACE_MARKER = '\u2581';

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;

/** The byte a "<0xXX>" piece stands for, or undefined for any other piece. */
export function bytePieceValue(piece: string): number | undefined {
  const match = BYTE_PIECE.exec(piece);
  return match ? Number.parseInt(match[1]!, 16) : undefined;
}

/**
 * The type of a piece in a source that stores none (llama2.c tokenizer.bin, llama-tokenizer-js), from the
 * Llama layout: the unknown, BOS and EOS ids, the "<0xXX>" byte pieces, every other piece normal.
 */
export function llamaPieceType(
  id: number,
  piece: string,
  vocab: Pick<SentencePieceVocab, 'unkId' | 'bosId' | 'eosId'>,
): PieceType {
  if (id === vocab.unkId) return 'unknown';
  if (id === vocab.bosId || id === vocab.eosId) return 'control';
  return bytePieceValue(piece) === undefined ? 'normal' : 'byte';
}
