import {
  type CompletionRequest,
  completionRequestSchema,
} from '../../../schemas/openai-completion-request.js';
import {
  type CompletionChunk,
  completionChunkSchema,
  completionResponseSchema,
} from '../../../schemas/openai-completion-response.js';
import { openAiErrorResponseSchema } from '../../../schemas/openai-error.js';
import type { App } from '../app.js';
import { clientGeneration } from '../client-generation.js';
import { HttpError } from '../http-error.js';
import type { LoadedModel } from '../model-service.js';
import { openAiGenerationOptions } from '../openai-generation-options.js';
import type { OpenAiRouteOptions } from '../openai-route-options.js';
import { finishedSequences, finishReasonOf, openAiStream, usageOf } from '../openai-stream.js';
import { sendEventStream } from '../sse.js';
import { checkContext } from './score.js';

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
  if (prompts.length > limits.maxPrompts) {
    throw HttpError.badField(
      'prompt',
      `has ${prompts.length} prompts; at most ${limits.maxPrompts} are allowed`,
    );
  }
  const { vocabSize, contextTokens } = model.config;
  return prompts.map((p, index) => {
    const field = prompts.length === 1 ? 'prompt' : `prompt[${index}]`;
    const outside = typeof p === 'string' ? undefined : p.find((id) => id >= vocabSize);
    if (outside !== undefined) {
      throw HttpError.badField(field, `token id ${outside} is outside the vocabulary of ${vocabSize}`);
    }
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
      schema: {
        summary: 'OpenAI-compatible text completion; `stream: true` answers Server-Sent Events',
        security: [{ bearerAuth: [] }, {}],
        body: completionRequestSchema,
        response: {
          200: {
            description:
              'The completion, or with `stream: true` its chunks as `data:` events, then `data: [DONE]`',
            content: {
              'application/json': { schema: completionResponseSchema },
              'text/event-stream': { schema: completionChunkSchema },
            },
          },
          400: openAiErrorResponseSchema,
          401: openAiErrorResponseSchema,
          408: openAiErrorResponseSchema,
          413: openAiErrorResponseSchema,
          415: openAiErrorResponseSchema,
          429: openAiErrorResponseSchema,
          503: openAiErrorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { model: service, admission } = v1.endpoint;
      if (service === undefined) throw new HttpError(503, 'ServiceUnavailable', 'no model is configured');
      const model = service.require();
      const body = request.body;
      const context = model.config.contextTokens;
      const { sampling, stopping } = openAiGenerationOptions(
        body,
        body.max_tokens ?? undefined,
        model.config.generationDefaults,
      );
      if (stopping.maxNewTokens >= context) {
        throw HttpError.badField(
          'max_tokens',
          `${stopping.maxNewTokens} does not fit the model's context of ${context} tokens (prompt tokens + max_tokens)`,
        );
      }
      const prompts = promptIdsOf(body.prompt, model, {
        maxPrompts: options.maxPrompts,
        maxNewTokens: stopping.maxNewTokens,
      });

      const events = clientGeneration(
        prompts.map((promptIds) => ({ promptIds, sampling, stopping })),
        {
          admission,
          scheduler: model.scheduler,
          response: reply.raw,
          timeoutMs: options.requestTimeoutMs,
        },
      );
      const base = {
        id: `cmpl-${request.id}`,
        object: 'text_completion' as const,
        created: Math.floor(Date.now() / 1000),
        model: options.modelName,
      };
      if (body.stream) {
        const includeUsage = body.stream_options?.include_usage === true;
        const chunk = (
          choices: CompletionChunk['choices'],
          usage?: CompletionChunk['usage'],
        ): CompletionChunk => ({
          ...base,
          choices,
          ...(includeUsage ? { usage: usage ?? null } : {}),
        });
        const chunks = openAiStream(
          events,
          {
            text: (index, text) => chunk([{ index, text, finish_reason: null, logprobs: null }]),
            finish: (index, reason) => chunk([{ index, text: '', finish_reason: reason, logprobs: null }]),
            usage: (usage) => chunk([], usage),
          },
          {
            includeUsage,
            timeoutMs: options.requestTimeoutMs,
            request,
          },
        );
        return sendEventStream(reply, chunks);
      }
      const done = await finishedSequences(events, request);
      return {
        ...base,
        choices: done.map((d) => ({
          index: d.index,
          text: d.text,
          finish_reason: finishReasonOf(d, options.requestTimeoutMs),
          logprobs: null,
        })),
        usage: usageOf(done),
      };
    },
  );
}
