import { z } from 'zod';

/** Azure's probe answer on `GET /`. */
export const healthySchema = z
  .literal('healthy')
  .describe('Every worker has loaded the model')
  .meta({ examples: ['healthy'] });

export const probeSchema = z
  .object({
    status: z.enum(['live', 'ready']),
    workersReady: z.number().int().optional(),
    workers: z.number().int().optional(),
  })
  .describe('The probe’s answer; readiness also counts the workers that have loaded the model')
  .meta({ examples: [{ status: 'ready', workersReady: 1, workers: 1 }] });
