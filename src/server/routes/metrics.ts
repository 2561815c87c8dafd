import type { App } from '../app.js';

/** Prometheus text exposition of this server's registry. */
export function registerMetricsRoute(app: App): void {
  app.get(
    '/metrics',
    { config: { polled: true }, schema: { summary: 'Prometheus metrics', produces: ['text/plain'] } },
    async (_request, reply) => {
      const { registry } = app.endpoint.metrics;
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}
