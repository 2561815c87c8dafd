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
  .meta({ id: 'ChatCompletionResponse' });

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
  .meta({ id: 'ChatCompletionChunk' });

export type ChatCompletionChunk = z.output<typeof chatCompletionChunkSchema>;
