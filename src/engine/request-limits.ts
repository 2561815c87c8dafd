/**
 * The limits a generation request is held to, and its defaults: one definition each, for the server (which
 * answers 400 before admitting a request), the worker (which refuses what reaches it anyway) and the CLI.
 */

/** max_new_tokens when neither the request nor generation_config.json says (the Azure container's vLLM default). */
export const DEFAULT_MAX_NEW_TOKENS = 16;

/**
 * Why a prompt of `promptTokens` tokens and `maxNewTokens` new ones do not fit a context of `context` tokens,
 * with every number; undefined when they fit. `limitName` is the caller's word for the new-token limit.
 */
export function contextOverflow(
  promptTokens: number,
  maxNewTokens: number,
  context: number,
  limitName = 'max_new_tokens',
): string | undefined {
  const needed = promptTokens + maxNewTokens;
  if (needed <= context) return undefined;
  return (
    `${promptTokens} prompt tokens + ${maxNewTokens} ${limitName} = ${needed}, ` +
    `more than the model's context of ${context} tokens`
  );
}

/** Why token ids cannot be fed to a model of `vocabSize` tokens (the first id outside it); undefined when they can. */
export function vocabularyViolation(tokenIds: readonly number[], vocabSize: number): string | undefined {
  const outside = tokenIds.find((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  return outside === undefined ? undefined : `token id ${outside} is outside the vocabulary of ${vocabSize}`;
}
