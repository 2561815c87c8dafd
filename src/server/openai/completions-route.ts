import {
  type CompletionRequest,
  completionRequestSchema,
} from '../../../schemas/openai-completion-request.js';
import {
  type CompletionChunk,
  completionChunkSchema,
  completionResponseSchema,
} from '../../../schemas/openai-completion-response.js';
import { vocabularyViolation } from '../../engine/request-limits.js';
import type { App } from '../app.js';
import { checkContext, checkMaxNewTokens, checkPromptCount } from '../generation/prompt-limits.js';
import { HttpError } from '../http/http-error.js';
import type { LoadedModel } from '../model-service.js';
import type { ChunkChoices } from './openai-answer.js';
import { answerOpenAiGeneration, type OpenAiGenerationRoute } from './openai-generation.js';
import { openAiGenerationOptions } from './openai-parameters.js';
import type { OpenAiRouteOptions } from './openai-route-options.js';
import { openAiGenerationSchema } from './openai-route-schema.js';

/**
 * The prompts as token ids (text is tokenized with BOS, as /score does; ids are taken as given), each checked
 * against the vocabulary and the model's context.
 */
function promptIdsOf(
  prompt: CompletionRequest['prompt'],
  model: LoadedModel,
  limits: PromptLimits,
): number[][] {
  const prompts: (string | number[])[] =
    typeof prompt === 'string'
      ? [prompt]
      : prompt.every((p) => typeof p === 'number')
        ? [prompt as number[]]
        : (prompt as (string | number[])[]);
  checkPromptCount('prompt', prompts.length, limits.maxPrompts);
  const { vocabSize, contextTokens } = model.config;
  return prompts.map((p, index) => {
    const field = prompts.length === 1 ? 'prompt' : `prompt[${index}]`;
    const outside = typeof p === 'string' ? undefined : vocabularyViolation(p, vocabSize);
    if (outside !== undefined) throw HttpError.badField(field, outside);
    const ids = typeof p === 'string' ? model.tokenizer.encode(p) : p;
    checkContext(field, ids.length, limits.maxNewTokens, contextTokens);
    return ids;
  });
}

interface PromptLimits {
  maxPrompts: number;
  maxNewTokens: number;
}

const COMPLETIONS_SCHEMA = openAiGenerationSchema(
  'OpenAI-compatible text completion',
  'The continuation of each prompt (text or token ids; a list answers one choice per prompt), with OpenAI’s ' +
    'sampling and stopping parameters and vLLM’s extras (top_k, repetition_penalty, ignore_eos). Works with ' +
    'the `openai` client (base URL `…/v1`).',
  completionRequestSchema,
  completionResponseSchema,
  completionChunkSchema,
);

type CompletionChoice = Pick<CompletionChunk['choices'][number], 'text'>;

/** A completion request's prompts and the words of its answer: `text`, the continuation only. */
function completion(
  body: CompletionRequest,
  options: OpenAiRouteOptions,
): OpenAiGenerationRoute<'text_completion', 'text_completion', CompletionChoice, CompletionChoice> {
  return {
    idPrefix: 'cmpl',
    object: 'text_completion',
    chunkObject: 'text_completion',
    sequences(model) {
      const { sampling, stopping } = openAiGenerationOptions(
        body,
        body.max_tokens ?? undefined,
        model.config.generationDefaults,
      );
      checkMaxNewTokens('max_tokens', stopping.maxNewTokens, model.config.contextTokens);
      const prompts = promptIdsOf(body.prompt, model, {
        maxPrompts: options.maxPrompts,
        maxNewTokens: stopping.maxNewTokens,
      });
      return prompts.map((promptIds) => ({ promptIds, sampling, stopping }));
    },
    choice: (done) => ({ text: done.text }),
    chunkChoices: (): ChunkChoices<CompletionChoice> => ({
      text: (text) => ({ text }),
      finish: { text: '' },
    }),
  };
}

/** POST /v1/completions: OpenAI's completions API, streamed as Server-Sent Events with `stream: true`. */
export function registerCompletionsRoute(v1: App, options: OpenAiRouteOptions): void {
  v1.post('/completions', { schema: COMPLETIONS_SCHEMA }, async (request, reply) =>
    answerOpenAiGeneration(request, reply, request.body, options, completion(request.body, options)),
  );
}
