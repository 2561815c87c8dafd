import { z } from 'zod';

/** Token counts of one request, summed over its choices. */
export const usageSchema = z
  .object({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
  })
  .meta({
    id: 'Usage',
    description: 'Token counts of one request, summed over its choices',
    examples: [{ prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 }],
  });

export type Usage = z.output<typeof usageSchema>;

/** Why a choice ended: a stop string or end-of-sequence, or max_tokens. */
export const openAiFinishReasonSchema = z.enum(['stop', 'length']);

export type OpenAiFinishReason = z.output<typeof openAiFinishReasonSchema>;
