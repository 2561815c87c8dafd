import type { App } from '../app.js';

/**
 * One log line and one metrics sample per request, when it has been answered: ids, status, token counts and
 * timings. Prompt text never appears at info level.
 */
export function registerRequestLog(app: App): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const { metrics } = app.endpoint;
    metrics.request(route, request.method, reply.statusCode);
    if (request.generation) metrics.generationRequest(route, reply.elapsedTime / 1000);
    const round = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms));
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        promptTokens: request.generation?.promptTokens,
        generatedTokens: request.generation?.generatedTokens,
        queueMs: round(request.generation?.queueMs),
        timeToFirstTokenMs: round(request.generation?.timeToFirstTokenMs),
        totalMs: round(reply.elapsedTime),
      },
      'request completed',
    );
  });
}
