import { z } from 'zod';
import { openAiFinishReasonSchema, usageSchema } from './openai-usage.js';

const completionFields = {
  id: z.string().describe('cmpl-<uuid>; the same in every chunk of one stream'),
  object: z.literal('text_completion'),
  created: z.number().int().describe('Unix time in seconds'),
  model: z.string(),
};

/** The answer of POST /v1/completions without streaming. */
export const completionResponseSchema = z
  .object({
    ...completionFields,
    choices: z.array(
      z.object({
        index: z.number().int(),
        text: z.string().describe('The continuation only, cut before any stop string'),
        finish_reason: openAiFinishReasonSchema,
        logprobs: z.null(),
      }),
    ),
    usage: usageSchema,
  })
  .meta({ id: 'CompletionResponse' });

export type CompletionResponse = z.output<typeof completionResponseSchema>;

/** One `data:` event of a streamed completion; the texts of one choice joined are its whole text. */
export const completionChunkSchema = z
  .object({
    ...completionFields,
    choices: z.array(
      z.object({
        index: z.number().int(),
        text: z.string(),
        finish_reason: openAiFinishReasonSchema.nullable().describe('Set on the choice’s last chunk'),
        logprobs: z.null(),
      }),
    ),
    usage: usageSchema
      .nullable()
      .optional()
      .describe('With stream_options.include_usage: null, except in the last chunk (which has no choices)'),
  })
  .meta({ id: 'CompletionChunk' });

export type CompletionChunk = z.output<typeof completionChunkSchema>;
