import { z } from 'zod';
import { openAiChatMessageSchema } from './openai-chat-request.js';

const TEXT_FIELDS = ['prompt', 'messages', 'text'] as const;

/**
 * POST /tokenize: vLLM's request (`prompt`, or `messages` for a chat) or this server's original one (`text`).
 * Exactly one of the three.
 */
export const tokenizeRequestSchema = z
  .object({
    model: z.string().nullish().describe('Any name (vLLM clients send one); ignored'),
    prompt: z.string().optional().describe('vLLM: the text to tokenize, as a completion prompt'),
    messages: z
      .array(openAiChatMessageSchema)
      .min(1)
      .optional()
      .describe(
        'vLLM: a chat, laid out with the Llama-2 template exactly as /v1/chat/completions lays it out',
      ),
    text: z.string().optional().describe('This server’s original field: answers `ids` and their pieces'),
    add_special_tokens: z
      .boolean()
      .nullish()
      .describe('prompt/text: prepend BOS (default true), as prompts get; messages: the template places BOS'),
    add_generation_prompt: z
      .boolean()
      .nullish()
      .describe('vLLM: accepted; the Llama-2 template always ends where the answer starts'),
    return_token_strs: z.boolean().nullish().describe('vLLM: also answer each id’s vocabulary piece'),
  })
  .superRefine((body, ctx) => {
    const given = TEXT_FIELDS.filter((field) => body[field] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          given.length === 0
            ? 'send one of prompt, messages (vLLM) or text'
            : `send one of prompt, messages or text, not ${given.join(' and ')}`,
      });
    }
  })
  .meta({
    id: 'TokenizeRequest',
    description: 'vLLM’s tokenize request (`prompt` or `messages`), or this server’s original one (`text`)',
    examples: [
      { model: 'aidreams260K', prompt: 'Hello world', add_special_tokens: true },
      { messages: [{ role: 'user', content: 'Name a colour.' }], add_generation_prompt: true },
      { text: 'Hello world' },
    ],
  });

export type TokenizeRequest = z.output<typeof tokenizeRequestSchema>;

const vllmTokenizeResponseSchema = z
  .object({
    count: z.number().int().describe('How many tokens'),
    max_model_len: z.number().int().describe('The model’s context in tokens'),
    tokens: z.array(z.number().int()).describe('The token ids'),
    token_strs: z.array(z.string()).optional().describe('With return_token_strs: each id’s vocabulary piece'),
  })
  .describe('vLLM’s TokenizeResponse, for `prompt` and `messages`');

const textTokenizeResponseSchema = z
  .object({
    ids: z.array(z.number().int()),
    tokens: z.array(z.string()).describe('The vocabulary piece of each id, e.g. "▁Hello", "<0x0A>", "<s>"'),
  })
  .describe('The original answer, for `text`');

export const tokenizeResponseSchema = z.union([vllmTokenizeResponseSchema, textTokenizeResponseSchema]).meta({
  id: 'TokenizeResponse',
  description: 'The token ids, in vLLM’s shape for `prompt`/`messages` and in the original one for `text`',
  examples: [
    { count: 3, max_model_len: 4096, tokens: [1, 15043, 3186] },
    { ids: [1, 15043, 3186], tokens: ['<s>', '▁Hello', '▁world'] },
  ],
});

export type TokenizeResponse = z.output<typeof tokenizeResponseSchema>;

/** POST /detokenize, as vLLM names it. */
export const detokenizeRequestSchema = z
  .object({
    model: z.string().nullish().describe('Any name (vLLM clients send one); ignored'),
    tokens: z.array(z.number().int().min(0)).describe('Token ids of this model'),
  })
  .meta({
    id: 'DetokenizeRequest',
    description: 'Token ids to turn back into text',
    examples: [{ tokens: [1, 15043, 3186] }],
  });

export const detokenizeResponseSchema = z
  .object({ prompt: z.string().describe('The text of the ids (BOS and EOS add no text)') })
  .meta({
    id: 'DetokenizeResponse',
    description: 'vLLM’s DetokenizeResponse',
    examples: [{ prompt: 'Hello world' }],
  });

/** GET /version, as vLLM answers it. */
export const versionSchema = z
  .object({ version: z.string().describe('This server’s version (package.json)') })
  .meta({ id: 'Version', description: 'The server’s version', examples: [{ version: '0.1.0' }] });
