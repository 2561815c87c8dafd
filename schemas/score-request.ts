import { z } from 'zod';
import { chatConversationSchema } from './chat-message.js';
import { scoreParametersSchema } from './score-parameters.js';

const promptListSchema = z.array(z.string()).min(1).describe('Prompts, each completed on its own');

/** Azure form 1: `{"input_data": {"input_string": [...], "parameters": {...}}}`; answers `[{"0": ..., "1": ...}]`. */
export const inputStringFormSchema = z.object({
  input_string: z.union([promptListSchema, chatConversationSchema]),
  parameters: scoreParametersSchema.nullish(),
});

/** The request body of POST /score: Azure form 1 (input_string), or form 2 (a bare list plus `params`). */
export const scoreRequestSchema = z
  .object({
    input_data: z.union([
      inputStringFormSchema,
      promptListSchema.describe('Azure form 2: a bare list of prompts; answers a bare list'),
    ]),
    params: scoreParametersSchema.nullish().describe('The parameters of form 2'),
  })
  .meta({
    id: 'ScoreRequest',
    description:
      'Azure ML Llama-2 scoring input: prompts with `input_data.input_string` and `parameters` (form 1), a bare ' +
      'list with `params` (form 2), or one chat conversation as `input_string` (answers `{"output": ...}`)',
    examples: [
      {
        input_data: {
          input_string: ['I believe the meaning of life is', 'Once upon a time'],
          parameters: { temperature: 0.7, top_p: 0.9, do_sample: true, max_new_tokens: 50 },
        },
      },
      { input_data: ['I believe the meaning of life is'], params: { max_new_tokens: 20, stop: ['.'] } },
      {
        input_data: {
          input_string: [
            { role: 'system', content: 'You are terse.' },
            { role: 'user', content: 'Name a colour.' },
          ],
          parameters: { max_new_tokens: 32 },
        },
      },
    ],
  });

export type ScoreRequest = z.output<typeof scoreRequestSchema>;
