import { z } from 'zod';

export const errorCodeSchema = z.enum([
  'BadRequest',
  'Unauthorized',
  'NotFound',
  'RequestTimeout',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'TooManyRequests',
  'InternalServerError',
  'ServiceUnavailable',
]);

export type ErrorCode = z.output<typeof errorCodeSchema>;

/** Every error answer: what went wrong and, for bad input, each offending field. */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: errorCodeSchema,
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({
    id: 'Error',
    description: 'What went wrong; for bad input, each offending field',
    examples: [
      {
        error: {
          code: 'BadRequest',
          message: 'input_data.parameters.top_p: must be <= 1',
          details: [{ field: 'input_data.parameters.top_p', message: 'must be <= 1' }],
        },
      },
    ],
  });

export type ErrorResponse = z.output<typeof errorResponseSchema>;
