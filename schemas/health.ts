import { z } from 'zod';

/** Azure's probe answer on `GET /`. */
export const healthySchema = z.literal('healthy');

export const probeSchema = z.object({
  status: z.enum(['live', 'ready']),
  workersReady: z.number().int().optional(),
  workers: z.number().int().optional(),
});
