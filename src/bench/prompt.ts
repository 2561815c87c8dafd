import type { BenchClient } from './http-client.js';

/** A prompt of a known length, and how that length is known. */
export interface BenchPrompt {
  text: string;
  /** Its tokens as the model sees them, BOS included (what the server reports as prompt tokens). */
  tokens: number;
  /** 'tokenize': counted by the server's POST /tokenize; 'assumed': one token per word (see repeatedWordText). */
  checkedBy: 'tokenize' | 'assumed';
}

/**
 * "hello hello …": SentencePiece turns each space-led "hello" into the single Llama-2 piece "▁hello"
 * (the first gets its "▁" from the dummy prefix), so the text is `words` tokens plus BOS.
 */
export function repeatedWordText(words: number): string {
  return Array.from({ length: words }, () => 'hello').join(' ');
}

/** The ids of the text with BOS, or undefined when the server cannot tell. */
export type TokenCounter = (text: string) => Promise<number[] | undefined>;

/**
 * A prompt of exactly `targetTokens` tokens: built on the one-token-per-word assumption, then checked with the
 * server's tokenizer when it has one and rescaled by the tokens each word turned out to take (another
 * tokenizer may split "hello"). Where it cannot be made exact, `tokens` says what it is.
 */
export async function buildPrompt(targetTokens: number, count?: TokenCounter): Promise<BenchPrompt> {
  if (targetTokens < 2)
    throw new Error(`a prompt needs at least 2 tokens (BOS and one word), not ${targetTokens}`);
  const tried = new Set<number>();
  let words = targetTokens - 1;
  let best: BenchPrompt | undefined;
  while (!tried.has(words)) {
    tried.add(words);
    const text = repeatedWordText(words);
    const ids = count ? await count(text) : undefined;
    if (!ids) return { text, tokens: targetTokens, checkedBy: 'assumed' };
    const candidate: BenchPrompt = { text, tokens: ids.length, checkedBy: 'tokenize' };
    if (!best || Math.abs(ids.length - targetTokens) < Math.abs(best.tokens - targetTokens)) best = candidate;
    if (ids.length === targetTokens) break;
    const rescaled = Math.max(1, Math.round((words * (targetTokens - 1)) / Math.max(1, ids.length - 1)));
    // Rounding can land back on the same count: then step one word towards the target.
    words = rescaled !== words ? rescaled : Math.max(1, words + Math.sign(targetTokens - ids.length));
  }
  return best!;
}

/** Counts with the server's `POST /tokenize`, where it exists. */
export function serverTokenCounter(client: BenchClient): TokenCounter {
  return async (text) => {
    const response = await client.post('/tokenize', { text, add_special_tokens: true });
    const body = await response.body.text();
    if (response.status !== 200) return undefined;
    try {
      const ids = (JSON.parse(body) as { ids?: unknown }).ids;
      return Array.isArray(ids) ? (ids as number[]) : undefined;
    } catch {
      return undefined;
    }
  };
}
