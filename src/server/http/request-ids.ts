import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { App } from '../app.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLIENT_REQUEST_ID = /^[A-Za-z0-9_-]{1,40}$/;

const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

/** Fastify's genReqId: the caller's `x-request-id` when it is a GUID (as Azure does), else a new GUID. */
export function requestId(request: IncomingMessage): string {
  const given = header(request.headers['x-request-id']);
  return given !== undefined && GUID.test(given) ? given : randomUUID();
}

/**
 * Azure's front-end headers on every response, errors and 404s included: the request id, the caller's
 * `x-ms-client-request-id` when well-formed (also in every log line of the request), the deployment name.
 */
export function registerRequestIds(app: App, deploymentName: string): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('azureml-model-deployment', deploymentName);
    const clientRequestId = header(request.headers['x-ms-client-request-id']);
    if (clientRequestId !== undefined && CLIENT_REQUEST_ID.test(clientRequestId)) {
      reply.header('x-ms-client-request-id', clientRequestId);
      request.log = request.log.child({ clientRequestId });
    }
  });
}
