import type { z } from 'zod';
import { openAiErrorResponseSchema } from '../../../schemas/openai-error.js';

/**
 * The schema of a /v1 generation route: the request body, the answer as JSON or, with `stream: true`, its
 * chunks as Server-Sent Events, and OpenAI's error envelope for every error status it answers.
 */
export function openAiGenerationSchema<
  Body extends z.ZodType,
  Answer extends z.ZodType,
  Chunk extends z.ZodType,
>(summary: string, description: string, body: Body, answer: Answer, chunk: Chunk) {
  return {
    summary: `${summary}; \`stream: true\` answers Server-Sent Events`,
    description,
    body,
    response: {
      200: {
        description:
          'The completion, or with `stream: true` its chunks as `data:` events, then `data: [DONE]`',
        content: {
          'application/json': { schema: answer },
          'text/event-stream': { schema: chunk },
        },
      },
      400: openAiErrorResponseSchema,
      401: openAiErrorResponseSchema,
      408: openAiErrorResponseSchema,
      413: openAiErrorResponseSchema,
      415: openAiErrorResponseSchema,
      429: openAiErrorResponseSchema,
      500: openAiErrorResponseSchema,
      503: openAiErrorResponseSchema,
    },
  };
}
