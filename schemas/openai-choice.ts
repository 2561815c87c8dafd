import { z } from 'zod';
import { openAiFinishReasonSchema, usageSchema } from './openai-usage.js';

/** The fields an OpenAI answer and each of its chunks start with; `idPrefix` is the route's (`cmpl`, `chatcmpl`). */
export const answerHeadFields = (idPrefix: string) => ({
  id: z.string().describe(`${idPrefix}-<the x-request-id>; the same in every chunk of one stream`),
  created: z.number().int().describe('Unix time in seconds'),
  model: z.string(),
});

/** A choice of a whole answer: the route's own fields between the index and the finish reason. */
export const choiceSchema = <Own extends z.ZodRawShape>(own: Own) =>
  z.object({
    index: z.number().int(),
    ...own,
    finish_reason: openAiFinishReasonSchema,
    logprobs: z.null(),
  });

/** A choice of a streamed chunk: the finish reason is null until the choice's last chunk. */
export const chunkChoiceSchema = <Own extends z.ZodRawShape>(own: Own) =>
  z.object({
    index: z.number().int(),
    ...own,
    finish_reason: openAiFinishReasonSchema.nullable().describe('Set on the choice’s last chunk'),
    logprobs: z.null(),
  });

/** A chunk's usage, present only with `stream_options.include_usage`. */
export const chunkUsageSchema = usageSchema
  .nullable()
  .optional()
  .describe('With stream_options.include_usage: null, except in the last chunk (which has no choices)');
