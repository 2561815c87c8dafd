import {
  type CompletionRequest,
  completionRequestSchema,
} from '../../../schemas/openai-completion-request.js';
import {
  type CompletionChunk,
  completionChunkSchema,
  completionResponseSchema,
} from '../../../schemas/openai-completion-response.js';
import type { OpenAiErrorResponse } from '../../../schemas/openai-error.js';
import { vocabularyViolation } from '../../engine/request-limits.js';
import type { App } from '../app.js';
import { clientGeneration } from '../generation/client-generation.js';
import { checkContext, checkMaxNewTokens, checkPromptCount } from '../generation/prompt-limits.js';
import { HttpError } from '../http/http-error.js';
import { sendEventStream } from '../http/sse.js';
import { type LoadedModel, requireModel } from '../model-service.js';
import { openAiChoices, openAiChunks } from './openai-answer.js';
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

/** POST /v1/completions: OpenAI's completions API, streamed as Server-Sent Events with `stream: true`. */
export function registerCompletionsRoute(v1: App, options: OpenAiRouteOptions): void {
  v1.post(
    '/completions',
    {
      schema: openAiGenerationSchema(
        'OpenAI-compatible text completion',
        completionRequestSchema,
        completionResponseSchema,
        completionChunkSchema,
      ),
    },
    async (request, reply) => {
      const model = requireModel(v1.endpoint.model);
      const body = request.body;
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

      const events = clientGeneration(
        request,
        reply,
        prompts.map((promptIds) => ({ promptIds, sampling, stopping })),
        {
          scheduler: model.scheduler,
          timeoutMs: options.requestTimeoutMs,
          streamTokens: body.stream === true,
        },
      );
      const head = {
        id: `cmpl-${request.id}`,
        object: 'text_completion' as const,
        created: Math.floor(Date.now() / 1000),
        model: options.modelName,
      };
      if (body.stream) {
        const chunks: AsyncIterable<CompletionChunk | OpenAiErrorResponse> = openAiChunks(
          events,
          head,
          { text: (text) => ({ text }), finish: { text: '' } },
          { includeUsage: body.stream_options?.include_usage === true, timeoutMs: options.requestTimeoutMs },
        );
        return sendEventStream(reply, chunks);
      }
      const answer = await openAiChoices(events, options.requestTimeoutMs, (done) => ({ text: done.text }));
      return { ...head, ...answer };
    },
  );
}
