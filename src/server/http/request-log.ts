import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';

/** nginx's status for a request whose client closed the connection before the answer was complete. */
const CLIENT_CLOSED_REQUEST = 499;

const round = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms));

/**
 * One log line and one metrics sample per request: ids, status, token counts and timings. Prompt text never
 * appears at info level; polled routes (probes, /metrics) log theirs at debug. A request whose client went away before its answer was complete (Fastify's
 * onResponse never fires for it) is recorded with status 499, as nginx does, once its cancelled sequences
 * have ended.
 */
export function registerRequestLog(app: App): void {
  const recorded = new WeakSet<FastifyRequest>();

  async function record(request: FastifyRequest, reply: FastifyReply, status: number): Promise<void> {
    if (recorded.has(request)) return;
    recorded.add(request);
    const totalMs = reply.elapsedTime;
    const route = request.routeOptions.url ?? 'unmatched';
    const { metrics } = app.endpoint;
    metrics.request(route, request.method, status);
    const generation = await request.generation;
    // End-to-end latency is the server's answer time: a client that left did not wait for one.
    if (generation && status !== CLIENT_CLOSED_REQUEST) metrics.generationRequest(route, totalMs / 1000);
    // Probes and scrapes come every few seconds from every replica: at info they would drown the requests.
    const level = request.routeOptions.config.polled ? 'debug' : 'info';
    request.log[level](
      {
        method: request.method,
        route,
        status,
        promptTokens: generation?.promptTokens,
        generatedTokens: generation?.generatedTokens,
        queueMs: round(generation?.queueMs),
        timeToFirstTokenMs: round(generation?.timeToFirstTokenMs),
        totalMs: round(totalMs),
      },
      'request completed',
    );
  }

  app.addHook('onRequest', async (request, reply) => {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) void record(request, reply, CLIENT_CLOSED_REQUEST);
    });
  });
  app.addHook('onResponse', (request, reply) => record(request, reply, reply.statusCode));
}
