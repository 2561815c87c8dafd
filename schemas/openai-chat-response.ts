import { z } from 'zod';
import { openAiFinishReasonSchema, usageSchema } from './openai-usage.js';

const chatFields = {
  id: z.string().describe('chatcmpl-<uuid>; the same in every chunk of one stream'),
  created: z.number().int().describe('Unix time in seconds'),
  model: z.string(),
};

/** The answer of POST /v1/chat/completions without streaming. */
export const chatCompletionResponseSchema = z
  .object({
    ...chatFields,
    object: z.literal('chat.completion'),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({ role: z.literal('assistant'), content: z.string() }),
        finish_reason: openAiFinishReasonSchema,
        logprobs: z.null(),
      }),
    ),
    usage: usageSchema,
  })
  .meta({ id: 'ChatCompletionResponse' });

export type ChatCompletionResponse = z.output<typeof chatCompletionResponseSchema>;

/** One `data:` event of a streamed chat completion: the first delta carries the role, then content pieces. */
export const chatCompletionChunkSchema = z
  .object({
    ...chatFields,
    object: z.literal('chat.completion.chunk'),
    choices: z.array(
      z.object({
        index: z.number().int(),
        delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
        finish_reason: openAiFinishReasonSchema.nullable().describe('Set on the choice’s last chunk'),
        logprobs: z.null(),
      }),
    ),
    usage: usageSchema
      .nullable()
      .optional()
      .describe('With stream_options.include_usage: null, except in the last chunk (which has no choices)'),
  })
  .meta({ id: 'ChatCompletionChunk' });

export type ChatCompletionChunk = z.output<typeof chatCompletionChunkSchema>;
