/**
 * The tokenizer contract the rest of the server codes against. Implementations live beside this file;
 * `loadTokenizer(modelDir)` picks tokenizer.json or a SentencePiece tokenizer.model.
 */

/** Turns a stream of token ids into text deltas that never split a UTF-8 character. */
export interface StreamDecoder {
  /** Feed one generated id; returns the text it completes (may be '' while a multi-byte character is partial). */
  push(id: number): string;
  /** Text still held back at the end (incomplete bytes become U+FFFD). */
  flush(): string;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /**
   * Text → ids, exactly as SentencePiece (Llama 2) does it. `<s>`, `</s>`, `[INST]` typed in the text are text,
   * never control ids. BOS is prepended when addBos (default true).
   */
  encode(text: string, options?: { addBos?: boolean }): number[];
  /** Ids → text; control tokens (BOS/EOS/UNK) are skipped; byte-fallback pieces are joined into UTF-8. */
  decode(ids: readonly number[]): string;
  /** The vocabulary piece of one id, as in tokenizer.json (e.g. "▁Hello", "<0x0A>", "<s>"). */
  idToPiece(id: number): string;
  /** A decoder for one generated sequence (no prompt): the first token's leading space is kept as a space. */
  createStreamDecoder(): StreamDecoder;
}
