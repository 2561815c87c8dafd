import { z } from 'zod';
import { errorCodeSchema } from './error.js';

/**
 * The error answer of the /v1 routes, as OpenAI clients read it: `message`, `type`, `param`, `code`. `code`
 * and `details` are the server's own error envelope (as /score answers), so both kinds of client understand it.
 * A stream that fails after it started sends this object as its last `data:` event.
 */
export const openAiErrorResponseSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z
        .string()
        .describe(
          'invalid_request_error, authentication_error, rate_limit_error, timeout_error, server_error, ...',
        ),
      param: z.string().nullable().describe('The first offending field, e.g. messages[1].role'),
      code: errorCodeSchema,
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({
    id: 'OpenAiError',
    description: 'An OpenAI-style error, with the server’s own code and details',
    examples: [
      {
        error: {
          message: 'temperature: must be <= 2',
          type: 'invalid_request_error',
          param: 'temperature',
          code: 'BadRequest',
          details: [{ field: 'temperature', message: 'must be <= 2' }],
        },
      },
    ],
  });

export type OpenAiErrorResponse = z.output<typeof openAiErrorResponseSchema>;
