import { z } from 'zod';

export const chatMessageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant']),
    content: z.string(),
  })
  .meta({ id: 'ChatMessage' });

export type ChatMessage = z.output<typeof chatMessageSchema>;

/** The role each position must have: system optional and first, then user/assistant alternating, ending with user. */
function expectedRole(messages: readonly ChatMessage[], index: number): ChatMessage['role'] {
  const offset = messages[0]?.role === 'system' ? 1 : 0;
  if (index < offset) return 'system';
  return (index - offset) % 2 === 0 ? 'user' : 'assistant';
}

/** One conversation in Llama-2 chat order. */
export const chatConversationSchema = z
  .array(chatMessageSchema)
  .min(1)
  .superRefine((messages, ctx) => {
    const misplaced = messages.findIndex((message, index) => message.role !== expectedRole(messages, index));
    if (misplaced >= 0) {
      ctx.addIssue({
        code: 'custom',
        path: [misplaced, 'role'],
        message: `must be '${expectedRole(messages, misplaced)}': system is optional and first, then user and assistant alternate`,
      });
      return;
    }
    // An empty list is min(1)'s error alone.
    if (messages.length > 0 && messages.at(-1)?.role !== 'user') {
      ctx.addIssue({
        code: 'custom',
        path: [messages.length - 1, 'role'],
        message: "the conversation must end with a 'user' message",
      });
    }
  })
  .describe('One conversation: system (optional, first), then user/assistant alternating, ending with user');
