import { bpeMerges } from './bpe-merges.js';
import { type SentencePieceVocab, SPACE_MARKER } from './vocab.js';

/** One entry of tokenizer.json's added_tokens. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The parts of a Hugging Face tokenizer.json this project reads or writes; the rest passes through. */
export interface TokenizerJson {
  version?: string;
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: {
    type: string;
    vocab: Record<string, number>;
    merges: (string | [string, string])[];
    unk_token?: string | null;
    byte_fallback?: boolean;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** The tokenizer_config.json fields this project reads or writes. */
export interface TokenizerConfigJson {
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  unk_token?: string | { content: string } | null;
  [key: string]: unknown;
}

const specialToken = (id: number, content: string): AddedTokenJson => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

const stringPattern = (text: string) => ({ String: text });

/**
 * The legacy Llama tokenizer.json (what transformers' LlamaConverter writes with legacy=true), which
 * reproduces SentencePiece exactly: prepend "▁" and turn spaces into "▁" on the whole text, no
 * pre-tokenizer, BPE with byte fallback, BOS added by the post-processor.
 */
export function buildTokenizerJson(vocab: SentencePieceVocab): TokenizerJson {
  const bos = vocab.pieces[vocab.bosId]!.piece;
  const unk = vocab.pieces[vocab.unkId]!.piece;
  const normalizers = [
    ...(vocab.addDummyPrefix ? [{ type: 'Prepend', prepend: SPACE_MARKER }] : []),
    { type: 'Replace', pattern: stringPattern(' '), content: SPACE_MARKER },
  ];
  const decoders = [
    { type: 'Replace', pattern: stringPattern(SPACE_MARKER), content: ' ' },
    ...(vocab.byteFallback ? [{ type: 'ByteFallback' }] : []),
    { type: 'Fuse' },
    ...(vocab.addDummyPrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
  ];
  const sequence = (id: string, typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const bosToken = (typeId: number) => ({ SpecialToken: { id: bos, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: vocab.pieces.flatMap(({ piece, type }, id) =>
      type === 'control' || type === 'unknown' ? [specialToken(id, piece)] : [],
    ),
    normalizer: { type: 'Sequence', normalizers },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [bosToken(0), sequence('A', 0)],
      pair: [bosToken(0), sequence('A', 0), bosToken(1), sequence('B', 1)],
      special_tokens: { [bos]: { id: bos, ids: [vocab.bosId], tokens: [bos] } },
    },
    decoder: { type: 'Sequence', decoders },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: vocab.byteFallback,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab.pieces.map(({ piece }, id) => [piece, id])),
      // SentencePiece pieces never hold a plain space, so the "left right" string form is unambiguous.
      merges: bpeMerges(vocab).map(([left, right]) => `${left} ${right}`),
    },
  };
}

/** tokenizer_config.json as transformers writes it for Llama-2 (LlamaTokenizerFast, legacy layout). */
export function buildTokenizerConfig(vocab: SentencePieceVocab): TokenizerConfigJson {
  return {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: vocab.pieces[vocab.bosId]!.piece,
    eos_token: vocab.pieces[vocab.eosId]!.piece,
    unk_token: vocab.pieces[vocab.unkId]!.piece,
    pad_token: null,
    clean_up_tokenization_spaces: false,
    legacy: true,
    tokenizer_class: 'LlamaTokenizer',
  };
}
