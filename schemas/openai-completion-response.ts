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
  .meta({
    id: 'CompletionResponse',
    description: 'The whole completion (stream false)',
    examples: [
      {
        id: 'cmpl-6f1c2a9e-3b7d-4c1e-9a51-0d2e8f4b7c13',
        object: 'text_completion',
        created: 1764460800,
        model: 'aidreams260K',
        choices: [
          { index: 0, text: ', there was a machine that dreamed.', finish_reason: 'stop', logprobs: null },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
      },
    ],
  });

export type CompletionResponse = z.output<typeof completionResponseSchema>;

/** One `data:` event of a streamed completion; the texts of one choice joined are its whole text. */
export const completionChunkSchema = z
  .object({
    ...completionHead,
    choices: z.array(chunkChoiceSchema({ text: z.string() })),
    usage: chunkUsageSchema,
  })
  .meta({
    id: 'CompletionChunk',
    description: 'One `data:` event of a streamed completion (stream true)',
    examples: [
      {
        id: 'cmpl-6f1c2a9e-3b7d-4c1e-9a51-0d2e8f4b7c13',
        object: 'text_completion',
        created: 1764460800,
        model: 'aidreams260K',
        choices: [{ index: 0, text: ' there', finish_reason: null, logprobs: null }],
      },
    ],
  });

export type CompletionChunk = z.output<typeof completionChunkSchema>;
