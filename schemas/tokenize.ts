import { z } from 'zod';

/** POST /tokenize: text → the model's token ids, as the server tokenizes prompts. */
export const tokenizeRequestSchema = z
  .object({
    text: z.string(),
    add_special_tokens: z.boolean().optional().describe('Prepend BOS (default true), as prompts get'),
  })
  .meta({
    id: 'TokenizeRequest',
    examples: [{ text: 'Hello world', add_special_tokens: true }],
  });

export type TokenizeRequest = z.output<typeof tokenizeRequestSchema>;

export const tokenizeResponseSchema = z
  .object({
    ids: z.array(z.number().int()),
    tokens: z.array(z.string()).describe('The vocabulary piece of each id, e.g. "▁Hello", "<0x0A>", "<s>"'),
  })
  .meta({
    id: 'TokenizeResponse',
    examples: [{ ids: [1, 15043, 3186], tokens: ['<s>', '▁Hello', '▁world'] }],
  });

export type TokenizeResponse = z.output<typeof tokenizeResponseSchema>;
