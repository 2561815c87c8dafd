import { z } from 'zod';
import { answerHeadFields, choiceSchema, chunkChoiceSchema, chunkUsageSchema } from './openai-choice.js';
import { usageSchema } from './openai-usage.js';

/** The answer of POST /v1/chat/completions without streaming. */
export const chatCompletionResponseSchema = z
  .object({
    ...answerHeadFields('chatcmpl'),
    object: z.literal('chat.completion'),
    choices: z.array(
      choiceSchema({ message: z.object({ role: z.literal('assistant'), content: z.string() }) }),
    ),
    usage: usageSchema,
  })
  .meta({
    id: 'ChatCompletionResponse',
    description: 'The whole assistant message (stream false)',
    examples: [
      {
        id: 'chatcmpl-6f1c2a9e-3b7d-4c1e-9a51-0d2e8f4b7c13',
        object: 'chat.completion',
        created: 1764460800,
        model: 'aidreams260K',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Blue.' },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 31, completion_tokens: 3, total_tokens: 34 },
      },
    ],
  });

export type ChatCompletionResponse = z.output<typeof chatCompletionResponseSchema>;

/** One `data:` event of a streamed chat completion: the first delta carries the role, then content pieces. */
export const chatCompletionChunkSchema = z
  .object({
    ...answerHeadFields('chatcmpl'),
    object: z.literal('chat.completion.chunk'),
    choices: z.array(
      chunkChoiceSchema({
        delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
      }),
    ),
    usage: chunkUsageSchema,
  })
  .meta({
    id: 'ChatCompletionChunk',
    description: 'One `data:` event of a streamed chat completion (stream true)',
    examples: [
      {
        id: 'chatcmpl-6f1c2a9e-3b7d-4c1e-9a51-0d2e8f4b7c13',
        object: 'chat.completion.chunk',
        created: 1764460800,
        model: 'aidreams260K',
        choices: [{ index: 0, delta: { content: 'Blue' }, finish_reason: null, logprobs: null }],
      },
    ],
  });

export type ChatCompletionChunk = z.output<typeof chatCompletionChunkSchema>;
