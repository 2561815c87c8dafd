import { z } from 'zod';
import { openAiSamplingShape } from './openai-sampling.js';

/** A prompt as text or as token ids (OpenAI accepts both); a list gives one choice per prompt. */
export const completionPromptSchema = z.union([
  z.string(),
  z.array(z.string()).min(1),
  z.array(z.number().int().min(0)).min(1),
  z.array(z.array(z.number().int().min(0)).min(1)).min(1),
]);

/** POST /v1/completions, as OpenAI's legacy completions API (and vLLM) define it. */
export const completionRequestSchema = z
  .object({
    ...openAiSamplingShape,
    prompt: completionPromptSchema.describe(
      'Text or token ids; a list of prompts answers one choice per prompt (index = position)',
    ),
    max_tokens: z
      .number()
      .int()
      .min(1)
      .nullish()
      .describe(
        'Tokens to generate (default 16, or generation_config.json); prompt + this must fit the context',
      ),
    best_of: z.literal(1).nullish().describe('Only 1 is supported'),
  })
  .meta({
    id: 'CompletionRequest',
    description: 'OpenAI legacy completions: continue a prompt',
    examples: [{ prompt: 'Once upon a time', max_tokens: 32, temperature: 0.7, top_p: 0.9, stream: false }],
  });

export type CompletionRequest = z.output<typeof completionRequestSchema>;
