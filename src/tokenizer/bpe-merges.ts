import type { SentencePieceVocab } from './vocab.js';

/**
 * The BPE merges equivalent to SentencePiece's score-driven merging, as Hugging Face's SentencePiece
 * converter derives them: every split of a piece into two vocabulary pieces is a merge, ranked by the
 * merged piece's score (highest first), then by the left and right piece ids. Only normal pieces take part:
 * SentencePiece never merges into, or out of, control, byte and unknown pieces.
 */
export function bpeMerges(vocab: SentencePieceVocab): [string, string][] {
  const normalIds = new Map<string, number>();
  vocab.pieces.forEach(({ piece, type }, id) => {
    if (type === 'normal') normalIds.set(piece, id);
  });
  const merges: { left: number; right: number; score: number }[] = [];
  vocab.pieces.forEach(({ piece, score, type }) => {
    if (type !== 'normal') return;
    // Split on code points, never inside a surrogate pair.
    const chars = Array.from(piece);
    let leftText = '';
    for (let i = 1; i < chars.length; i++) {
      leftText += chars[i - 1];
      const left = normalIds.get(leftText);
      if (left === undefined) continue;
      const right = normalIds.get(piece.slice(leftText.length));
      if (right !== undefined) merges.push({ left, right, score });
    }
  });
  merges.sort((a, b) => b.score - a.score || a.left - b.left || a.right - b.right);
  return merges.map(({ left, right }) => [vocab.pieces[left]!.piece, vocab.pieces[right]!.piece]);
}
