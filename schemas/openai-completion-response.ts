import { z } from 'zod';
import { answerHeadFields, choiceSchema, chunkChoiceSchema, chunkUsageSchema } from './openai-choice.js';
import { usageSchema } from './openai-usage.js';

const completionHead = { ...answerHeadFields('cmpl'), object: z.literal('text_completion') };

/** The answer of POST /v1/completions without streaming. */
export const completionResponseSchema = z
  .object({
    ...completionHead,
    choices: z.array(
      choiceSchema({ text: z.string().describe('The continuation only, cut before any stop string') }),
    ),
    usage: usageSchema,
  })
  .meta({ id: 'CompletionResponse' });

export type CompletionResponse = z.output<typeof completionResponseSchema>;

/** One `data:` event of a streamed completion; the texts of one choice joined are its whole text. */
export const completionChunkSchema = z
  .object({
    ...completionHead,
    choices: z.array(chunkChoiceSchema({ text: z.string() })),
    usage: chunkUsageSchema,
  })
  .meta({ id: 'CompletionChunk' });

export type CompletionChunk = z.output<typeof completionChunkSchema>;
