import { z } from 'zod';

/** GET /v1/models: the one model this server serves. */
export const modelListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string().describe('The model directory’s name'),
        object: z.literal('model'),
        created: z.number().int().describe('Unix time in seconds the server started'),
        owned_by: z.string(),
        max_model_len: z.number().int().optional().describe('vLLM extra: the context length in tokens'),
      }),
    ),
  })
  .meta({ id: 'ModelList' });

export type ModelList = z.output<typeof modelListSchema>;
