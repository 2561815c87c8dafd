import { contextOverflow } from '../../engine/request-limits.js';
import { HttpError } from '../http/http-error.js';

/**
 * The limits a request's prompts are held to before anything is admitted, each refused with a 400 that names
 * the field: how many prompts, and whether each prompt with its new tokens fits the model's context.
 */

export function checkPromptCount(field: string, count: number, maxPrompts: number): void {
  if (count > maxPrompts) {
    throw HttpError.badField(field, `has ${count} prompts; at most ${maxPrompts} are allowed`);
  }
}

/** The token limit alone must leave room for at least one prompt token. */
export function checkMaxNewTokens(field: string, maxNewTokens: number, context: number): void {
  if (maxNewTokens >= context) {
    throw HttpError.badField(
      field,
      `${maxNewTokens} leaves no room for a prompt in the model's context of ${context} tokens`,
    );
  }
}

export function checkContext(
  field: string,
  promptTokens: number,
  maxNewTokens: number,
  context: number,
): void {
  const overflow = contextOverflow(promptTokens, maxNewTokens, context);
  if (overflow !== undefined) throw HttpError.badField(field, overflow);
}
