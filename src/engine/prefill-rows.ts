/**
 * Several sequences' prompt chunks in one prefill run: each row is left-padded to the longest chunk, so every
 * row's last position is its real last token (and `logits: 'last'` is right for all of them).
 */

/** Any valid id: pad positions are masked out and their outputs dropped. */
const PAD_TOKEN_ID = 0;

/** Pad positions before each row's chunk of `counts[row]` tokens, in a run as wide as the longest. */
export function leftPads(counts: readonly number[]): { width: number; pads: number[] } {
  const width = Math.max(...counts);
  return { width, pads: counts.map((count) => width - count) };
}

/** The token rows of a run: each chunk after its pads. */
export function leftPadded(chunks: readonly (readonly number[])[]): number[][] {
  const { width } = leftPads(chunks.map((chunk) => chunk.length));
  return chunks.map((chunk) => [...new Array<number>(width - chunk.length).fill(PAD_TOKEN_ID), ...chunk]);
}

/**
 * Positions of a run's new tokens, cumsum(mask) − 1 clamped at 0: a row with `lengths[row]` tokens already in
 * its cache continues from there after its pads.
 */
export function chunkPositions(lengths: readonly number[], counts: readonly number[]): number[][] {
  const { width, pads } = leftPads(counts);
  return lengths.map((length, row) =>
    Array.from({ length: width }, (_, i) => Math.max(0, length + i - pads[row]!)),
  );
}
