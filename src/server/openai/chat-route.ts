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
import type { App } from '../app.js';
import { chatPromptIds } from '../generation/chat-template.js';
import { checkContext } from '../generation/prompt-limits.js';
import { HttpError } from '../http/http-error.js';
import { fieldErrors } from '../http/validation-messages.js';
import type { ChunkChoices } from './openai-answer.js';
import { answerOpenAiGeneration, type OpenAiGenerationRoute } from './openai-generation.js';
import { openAiGenerationOptions } from './openai-parameters.js';
import type { OpenAiRouteOptions } from './openai-route-options.js';
import { openAiGenerationSchema } from './openai-route-schema.js';

/**
 * OpenAI messages → the conversation the Llama-2 chat template takes (text parts joined, `developer` read as
 * `system`), checked with the same order rules as /score's chat form.
 */
export function conversationOf(messages: ChatCompletionRequest['messages']): ChatMessage[] {
  const conversation = messages.map((message) => ({
    role: message.role === 'developer' ? ('system' as const) : message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => part.text).join(''),
  }));
  const checked = chatConversationSchema.safeParse(conversation);
  if (!checked.success) throw HttpError.badFields(fieldErrors(checked.error.issues, ['messages']));
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

const CHAT_SCHEMA = openAiGenerationSchema(
  'OpenAI-compatible chat completion (Llama-2 chat template)',
  'The next assistant message of a conversation, laid out with the Llama-2 chat template (system optional ' +
    'and first, then user and assistant alternating, ending with user). Without max_tokens the answer may use ' +
    'the rest of the context. Works with the `openai` client (base URL `…/v1`).',
  chatCompletionRequestSchema,
  chatCompletionResponseSchema,
  chatCompletionChunkSchema,
);

type ChatDelta = Pick<ChatCompletionChunk['choices'][number], 'delta'>;

/** A chat request's one prompt, the Llama-2 template of its messages, and the words of its answer. */
function chat(
  body: ChatCompletionRequest,
): OpenAiGenerationRoute<
  'chat.completion',
  'chat.completion.chunk',
  { message: { role: 'assistant'; content: string } },
  ChatDelta
> {
  return {
    idPrefix: 'chatcmpl',
    object: 'chat.completion',
    chunkObject: 'chat.completion.chunk',
    sequences(model) {
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
      return [{ promptIds, sampling, stopping }];
    },
    choice: (done) => ({ message: { role: 'assistant', content: done.text.trimStart() } }),
    chunkChoices(): ChunkChoices<ChatDelta> {
      const dropLeadingWhitespace = leadingWhitespaceDropper();
      return {
        text: (text) => {
          const content = dropLeadingWhitespace(text);
          return content === '' ? undefined : { delta: { content } };
        },
        finish: { delta: {} },
        // As OpenAI's streams do, the first chunk gives the role.
        opening: { delta: { role: 'assistant', content: '' } },
      };
    },
  };
}

/** POST /v1/chat/completions: OpenAI's chat API over the Llama-2 chat template, streamed with `stream: true`. */
export function registerChatRoute(v1: App, options: OpenAiRouteOptions): void {
  v1.post('/chat/completions', { schema: CHAT_SCHEMA }, async (request, reply) =>
    answerOpenAiGeneration(request, reply, request.body, options, chat(request.body)),
  );
}
