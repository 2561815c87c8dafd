import { type ChatMessage, chatConversationSchema } from '../../../schemas/chat-message.js';
import {
  type ChatCompletionRequest,
  chatCompletionRequestSchema,
} from '../../../schemas/openai-chat-request.js';
import {
  type ChatCompletionChunk,
  chatCompletionChunkSchema,
  chatCompletionResponseSchema,
} from '../../../schemas/openai-chat-response.js';
import { openAiErrorResponseSchema } from '../../../schemas/openai-error.js';
import type { App } from '../app.js';
import { chatPromptIds } from '../chat-template.js';
import { clientGeneration } from '../client-generation.js';
import { HttpError } from '../http-error.js';
import { openAiGenerationOptions } from '../openai-generation-options.js';
import type { OpenAiRouteOptions } from '../openai-route-options.js';
import { finishedSequences, finishReasonOf, openAiStream, usageOf } from '../openai-stream.js';
import { sendEventStream } from '../sse.js';
import { fieldErrors } from '../validation-messages.js';
import { checkContext } from './score.js';

/**
 * OpenAI messages → the conversation the Llama-2 chat template takes (text parts joined, `developer` read as
 * `system`), checked with the same order rules as /score's chat form.
 */
function conversationOf(messages: ChatCompletionRequest['messages']): ChatMessage[] {
  const conversation = messages.map((message) => ({
    role: message.role === 'developer' ? ('system' as const) : message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => part.text).join(''),
  }));
  const checked = chatConversationSchema.safeParse(conversation);
  if (!checked.success) {
    const details = fieldErrors(checked.error.issues, ['messages']);
    throw new HttpError(
      400,
      'BadRequest',
      details.map((d) => `${d.field}: ${d.message}`).join('; '),
      details,
    );
  }
  return checked.data;
}

/**
 * Llama-2 chat answers begin with the space of their first piece (SentencePiece's reference decode drops
 * it): leading whitespace is dropped, in the stream until the first other character, so both forms agree.
 */
function leadingWhitespaceDropper(): (text: string) => string {
  let started = false;
  return (text) => {
    if (started) return text;
    const rest = text.trimStart();
    started = rest !== '';
    return rest;
  };
}

/** POST /v1/chat/completions: OpenAI's chat API over the Llama-2 chat template, streamed with `stream: true`. */
export function registerChatRoute(v1: App, options: OpenAiRouteOptions): void {
  v1.post(
    '/chat/completions',
    {
      schema: {
        summary:
          'OpenAI-compatible chat completion (Llama-2 chat template); `stream: true` answers Server-Sent Events',
        security: [{ bearerAuth: [] }, {}],
        body: chatCompletionRequestSchema,
        response: {
          200: {
            description:
              'The completion, or with `stream: true` its chunks as `data:` events, then `data: [DONE]`',
            content: {
              'application/json': { schema: chatCompletionResponseSchema },
              'text/event-stream': { schema: chatCompletionChunkSchema },
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
      const promptIds = chatPromptIds(model.tokenizer, conversationOf(body.messages));
      const context = model.config.contextTokens;
      const requested = body.max_completion_tokens ?? body.max_tokens ?? undefined;
      // Without a limit a chat answer may use the rest of the context, as OpenAI and vLLM do.
      const { sampling, stopping } = openAiGenerationOptions(
        body,
        requested ?? Math.max(1, context - promptIds.length),
        model.config.generationDefaults,
      );
      checkContext('messages', promptIds.length, stopping.maxNewTokens, context);

      const events = clientGeneration([{ promptIds, sampling, stopping }], {
        admission,
        scheduler: model.scheduler,
        response: reply.raw,
        timeoutMs: options.requestTimeoutMs,
      });
      const base = {
        id: `chatcmpl-${request.id}`,
        created: Math.floor(Date.now() / 1000),
        model: options.modelName,
      };
      if (body.stream) {
        const includeUsage = body.stream_options?.include_usage === true;
        const chunk = (
          choices: ChatCompletionChunk['choices'],
          usage?: ChatCompletionChunk['usage'],
        ): ChatCompletionChunk => ({
          ...base,
          object: 'chat.completion.chunk',
          choices,
          ...(includeUsage ? { usage: usage ?? null } : {}),
        });
        const dropLeadingWhitespace = leadingWhitespaceDropper();
        const chunks = openAiStream(
          events,
          {
            text: (index, text) => {
              const content = dropLeadingWhitespace(text);
              if (content === '') return undefined;
              return chunk([{ index, delta: { content }, finish_reason: null, logprobs: null }]);
            },
            finish: (index, reason) => chunk([{ index, delta: {}, finish_reason: reason, logprobs: null }]),
            usage: (usage) => chunk([], usage),
          },
          {
            includeUsage,
            timeoutMs: options.requestTimeoutMs,
            request,
          },
        );
        // As OpenAI's streams do, the first chunk gives the role.
        const role = chunk([
          { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null },
        ]);
        async function* withRole() {
          yield role;
          yield* chunks;
        }
        return sendEventStream(reply, withRole());
      }
      const done = await finishedSequences(events, request);
      return {
        ...base,
        object: 'chat.completion' as const,
        choices: done.map((d) => ({
          index: d.index,
          message: { role: 'assistant' as const, content: d.text.trimStart() },
          finish_reason: finishReasonOf(d, options.requestTimeoutMs),
          logprobs: null,
        })),
        usage: usageOf(done),
      };
    },
  );
}
