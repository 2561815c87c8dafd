import llamaTokenizer from 'llama-tokenizer-js';
import { llamaPieceType, type SentencePieceVocab, SPACE_MARKER } from './vocab.js';

const FIRST_MERGED_ID = 259;
const WHITESPACE_RUN_SCORE = -1e9;
const WHITESPACE_RUN = new RegExp(`^${SPACE_MARKER}+$`);

/**
 * The real Llama-2 vocabulary (32000 pieces) from the npm package llama-tokenizer-js, for when no model
 * directory supplies one. The package keeps pieces and merges but no scores; Llama-2's scores follow from
 * the ids: −(id − 259) for every merged piece, except runs of "▁", which Meta's model scores −1e9.
 * The tests check the result equals Meta's tokenizer.model, scores included.
 */
export function defaultLlama2Vocab(): SentencePieceVocab {
  const ids = { unkId: 0, bosId: 1, eosId: 2 };
  const pieces = llamaTokenizer.vocabById.map((piece, id) => {
    const type = llamaPieceType(id, piece, ids);
    let score = 0;
    if (type === 'normal')
      score = WHITESPACE_RUN.test(piece) ? WHITESPACE_RUN_SCORE : -(id - FIRST_MERGED_ID);
    return { piece, score, type };
  });
  return { pieces, ...ids, addDummyPrefix: true, byteFallback: true };
}
