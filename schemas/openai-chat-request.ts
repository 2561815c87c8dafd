import { z } from 'zod';
import { openAiSamplingShape } from './openai-sampling.js';

/** OpenAI message content: a string, or text parts (the only part type a text model can take). */
const contentSchema = z.union([
  z.string(),
  z.array(z.object({ type: z.literal('text'), text: z.string() })).min(1),
]);

/** One OpenAI chat message; `developer` is OpenAI's newer name for `system`. */
export const openAiChatMessageSchema = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant']),
    content: contentSchema,
    name: z.string().optional().describe('Accepted and ignored'),
  })
  .meta({ id: 'OpenAiChatMessage' });

export type OpenAiChatMessage = z.output<typeof openAiChatMessageSchema>;

/** POST /v1/chat/completions. The conversation is laid out with the Llama-2 chat template. */
export const chatCompletionRequestSchema = z
  .object({
    ...openAiSamplingShape,
    messages: z
      .array(openAiChatMessageSchema)
      .min(1)
      .describe('system (optional, first), then user and assistant alternating, ending with user'),
    max_tokens: z
      .number()
      .int()
      .min(1)
      .nullish()
      .describe('Tokens to generate (default: what is left of the context)'),
    max_completion_tokens: z.number().int().min(1).nullish().describe('OpenAI’s newer name of max_tokens'),
  })
  .meta({
    id: 'ChatCompletionRequest',
    description: 'OpenAI chat completions: the next assistant message of a conversation',
    examples: [
      {
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Name a colour.' },
        ],
        max_tokens: 16,
        temperature: 0.7,
      },
    ],
  });

export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
