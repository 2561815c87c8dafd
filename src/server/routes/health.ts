import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { errorResponseSchema } from '../../../schemas/error.js';
import { healthySchema, probeSchema } from '../../../schemas/health.js';
import type { App } from '../app.js';
import { requireModel } from '../model-service.js';

/** Readiness: the model is loaded in every worker and the server is not draining (the drain hook answers that). */
function requireReady(app: App) {
  requireModel(app.endpoint.model);
  return app.endpoint.model!.readiness();
}

/** Where the probes are: Azure ML's liveness and readiness route, and Kubernetes-style ones. */
export const HEALTH_ROUTES = { azure: '/', live: '/health/live', ready: '/health/ready' } as const;

/** Azure's `GET /` probe and the Kubernetes-style liveness and readiness probes; open without a key. */
export function registerHealthRoutes(app: App): void {
  app.get(
    HEALTH_ROUTES.azure,
    {
      config: { public: true, polled: true },
      schema: {
        summary: 'Azure ML liveness/readiness: "healthy" once every worker has loaded the model',
        description: 'The route Azure ML probes for a custom container; 503 while loading or draining.',
        response: { 200: healthySchema, 503: errorResponseSchema },
      },
    },
    async (_request, reply) => {
      requireReady(app);
      // Fastify sends a bare string as text/plain; the contract's answer is the JSON string "healthy".
      return reply.type('application/json').serializer(JSON.stringify).send('healthy');
    },
  );
  app.get(
    HEALTH_ROUTES.live,
    {
      config: { public: true, polled: true },
      schema: {
        summary: 'Liveness: the process answers',
        description: 'For a Kubernetes liveness probe: 200 while the process answers, draining included.',
        response: { 200: probeSchema },
      },
    },
    async () => ({ status: 'live' as const }),
  );
  app.get(
    HEALTH_ROUTES.ready,
    {
      config: { public: true, polled: true },
      schema: {
        summary: 'Readiness: the model is loaded in every worker and the server is not draining',
        description:
          'For a Kubernetes readiness probe: 503 while loading or draining, with the workers ready.',
        response: { 200: probeSchema, 503: errorResponseSchema },
      },
    },
    async () => {
      const { ready, total } = requireReady(app);
      return { status: 'ready' as const, workersReady: ready, workers: total };
    },
  );
  app.get(
    '/health',
    {
      config: { public: true, polled: true },
      schema: {
        summary: 'vLLM’s and TGI’s probe: 200 with an empty body when ready',
        description: 'The same test as /health/ready, answered as vLLM answers it: no body.',
        response: {
          200: z.null().describe('Ready: every worker has loaded the model (an empty body)'),
          503: errorResponseSchema,
        },
      },
    },
    async (_request, reply: FastifyReply) => {
      requireReady(app);
      // vLLM answers no body at all; the typed reply would want the null its schema documents.
      return reply.code(200).send();
    },
  );
}
