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
  .meta({
    id: 'ModelList',
    description: 'The one model this server serves',
    examples: [
      {
        object: 'list',
        data: [
          {
            id: 'aidreams260K',
            object: 'model',
            created: 1764460800,
            owned_by: 'llama-endpoint',
            max_model_len: 128,
          },
        ],
      },
    ],
  });

export type ModelList = z.output<typeof modelListSchema>;
