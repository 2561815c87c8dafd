import { z } from 'zod';
import { chatConversationSchema } from './chat-message.js';
import { scoreParametersSchema } from './score-parameters.js';

const promptListSchema = z.array(z.string()).min(1).describe('Prompts, each completed on its own');

/** Azure form 1: `{"input_data": {"input_string": [...], "parameters": {...}}}`; answers `[{"0": ..., "1": ...}]`. */
export const inputStringFormSchema = z.object({
  input_string: z.union([promptListSchema, chatConversationSchema]),
  parameters: scoreParametersSchema.optional(),
});

/** The request body of POST /score: Azure form 1 (input_string), or form 2 (a bare list plus `params`). */
export const scoreRequestSchema = z
  .object({
    input_data: z.union([
      inputStringFormSchema,
      promptListSchema.describe('Azure form 2: a bare list of prompts; answers a bare list'),
    ]),
    params: scoreParametersSchema.optional().describe('The parameters of form 2'),
  })
  .meta({ id: 'ScoreRequest' });

export type ScoreRequest = z.output<typeof scoreRequestSchema>;
