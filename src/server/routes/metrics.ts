import { z } from 'zod';
import type { App } from '../app.js';

const PROMETHEUS_TEXT = z
  .string()
  .describe('Prometheus text exposition format 0.0.4')
  .meta({
    examples: [
      '# HELP llama_endpoint_requests_in_flight Requests admitted and not yet answered\n' +
        '# TYPE llama_endpoint_requests_in_flight gauge\nllama_endpoint_requests_in_flight 0\n',
    ],
  });

/** Prometheus text exposition of this server's registry. */
export function registerMetricsRoute(app: App): void {
  app.get(
    '/metrics',
    {
      config: { polled: true },
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Request counts, latencies (time to first token, inter-token, end to end, queue), batch sizes, ' +
          'tokens and worker restarts, `llama_endpoint_` prefixed. Needs the key when keys are configured.',
        produces: ['text/plain'],
        response: { 200: PROMETHEUS_TEXT },
      },
    },
    async (_request, reply) => {
      const { registry } = app.endpoint.metrics;
      // The text as it is: the schema documents it, it is not JSON to encode.
      return reply
        .type(registry.contentType)
        .serializer(String)
        .send(await registry.metrics());
    },
  );
}
