import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { Utf8StreamDecoder } from './stream-decoder.js';
import type { StreamDecoder, Tokenizer } from './tokenizer.js';
import {
  buildTokenizerConfig,
  buildTokenizerJson,
  type TokenizerConfigJson,
  type TokenizerJson,
} from './tokenizer-json.js';
import { bytePieceValue, type SentencePieceVocab, SPACE_MARKER } from './vocab.js';

const NO_BYTES = new Uint8Array(0);

/**
 * The library runs BPE over its whole input as one word, slowly for long texts. When no piece holds a "▁"
 * after another character, no merge can cross the start of a "▁" run, so cutting the normalized text there
 * ("▁▁Hello", "▁world") gives the same tokens, and lets the library cache repeated words.
 */
function wordSplitter(vocab: Record<string, number>): unknown {
  const crossesWords = new RegExp(`[^${SPACE_MARKER}]${SPACE_MARKER}`);
  if (Object.keys(vocab).some((piece) => crossesWords.test(piece))) return null;
  const word = `${SPACE_MARKER}*[^${SPACE_MARKER}]+|${SPACE_MARKER}+`;
  return { type: 'Split', pattern: { Regex: word }, behavior: 'Isolated', invert: false };
}

function tokenContent(token: TokenizerConfigJson['bos_token']): string | undefined {
  if (typeof token === 'string') return token;
  return token?.content;
}

/**
 * A Llama (SentencePiece BPE) tokenizer. Encoding runs in @huggingface/tokenizers, given the tokenizer.json
 * without its special added tokens and without its post-processor: the library would otherwise turn a "<s>"
 * typed in the text into the BOS id. BOS is added here instead. Decoding works on the pieces' bytes directly,
 * which is what streaming needs anyway.
 */
export class SentencePieceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  /** Per id: the UTF-8 bytes it decodes to (none for control and unknown pieces). */
  private readonly pieceBytes: Uint8Array[];
  /** Whether encoding prepends "▁" (SentencePiece's dummy prefix), which decode() takes off again. */
  private readonly addsDummyPrefix: boolean;

  private constructor(
    private readonly encoder: HfTokenizer,
    private readonly pieces: readonly string[],
    skippedIds: ReadonlySet<number>,
    byteFallback: boolean,
    readonly bosId: number,
    readonly eosId: number,
  ) {
    this.vocabSize = pieces.length;
    const utf8 = new TextEncoder();
    this.pieceBytes = pieces.map((piece, id) => {
      if (skippedIds.has(id)) return NO_BYTES;
      const byte = byteFallback ? bytePieceValue(piece) : undefined;
      return byte === undefined ? utf8.encode(piece.replaceAll(SPACE_MARKER, ' ')) : Uint8Array.of(byte);
    });
    const probe = this.encode('a', { addBos: false });
    this.addsDummyPrefix = probe.length > 0 && this.idToPiece(probe[0]!).startsWith(SPACE_MARKER);
  }

  /** From a parsed tokenizer.json and tokenizer_config.json (BOS/EOS names; "<s>"/"</s>" when absent). */
  static fromJson(json: TokenizerJson, config: TokenizerConfigJson = {}): SentencePieceTokenizer {
    const model = json.model;
    if (model?.type !== 'BPE' || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) {
      throw new Error(`tokenizer.json: expected a BPE model (Llama), got ${JSON.stringify(model?.type)}`);
    }
    const addedTokens = Array.isArray(json.added_tokens) ? json.added_tokens : [];
    const ids = new Map(Object.entries(model.vocab));
    for (const token of addedTokens) ids.set(token.content, token.id);
    const pieces: string[] = [];
    for (const [piece, id] of ids) pieces[id] = piece;
    const skipped = new Set(addedTokens.filter((token) => token.special).map((token) => token.id));
    const unkId = model.unk_token == null ? undefined : ids.get(model.unk_token);
    if (unkId !== undefined) skipped.add(unkId);
    const idOf = (name: string, token: TokenizerConfigJson['bos_token'], fallback: string) => {
      const content = tokenContent(token) ?? fallback;
      const id = ids.get(content);
      if (id === undefined)
        throw new Error(`tokenizer: the ${name} token '${content}' is not in the vocabulary`);
      return id;
    };
    const encoder = new HfTokenizer(
      {
        ...json,
        added_tokens: addedTokens.filter((token) => !token.special),
        pre_tokenizer: json.pre_tokenizer ?? wordSplitter(model.vocab),
        post_processor: null,
        decoder: null,
      },
      {},
    );
    return new SentencePieceTokenizer(
      encoder,
      Array.from(pieces, (piece) => piece ?? ''),
      skipped,
      model.byte_fallback === true,
      idOf('BOS', config.bos_token, '<s>'),
      idOf('EOS', config.eos_token, '</s>'),
    );
  }

  /** Straight from a vocabulary: the same tokenizer as writing its tokenizer files and loading them. */
  static fromVocab(vocab: SentencePieceVocab): SentencePieceTokenizer {
    return SentencePieceTokenizer.fromJson(buildTokenizerJson(vocab), buildTokenizerConfig(vocab));
  }

  encode(text: string, options: { addBos?: boolean } = {}): number[] {
    const ids = this.encoder.encode(text, { add_special_tokens: false }).ids;
    return options.addBos === false ? ids : [this.bosId, ...ids];
  }

  decode(ids: readonly number[]): string {
    const decoder = this.createStreamDecoder();
    const text = ids.map((id) => decoder.push(id)).join('') + decoder.flush();
    return this.addsDummyPrefix && text.startsWith(' ') ? text.slice(1) : text;
  }

  idToPiece(id: number): string {
    const piece = this.pieces[id];
    if (piece === undefined)
      throw new RangeError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return piece;
  }

  createStreamDecoder(): StreamDecoder {
    // Ids beyond the vocabulary (a model with padded embeddings) decode to nothing, as control tokens do.
    return new Utf8StreamDecoder((id) => this.pieceBytes[id] ?? NO_BYTES);
  }
}
