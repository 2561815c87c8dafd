import fastifyCors from '@fastify/cors';
import type { App } from '../app.js';

/** Response headers a browser script may read: request ids, the deployment, ignored parameters, Retry-After. */
const EXPOSED_HEADERS = [
  'x-request-id',
  'x-ms-request-id',
  'x-ms-client-request-id',
  'azureml-model-deployment',
  'x-ms-ignored-parameters',
  'retry-after',
];

/**
 * Cross-origin access for browser clients, off unless origins are given (`*` = any). Keys travel in the
 * Authorization header, never in cookies, so credentials stay off and `*` is safe to answer. Preflights
 * (OPTIONS) carry no Authorization by the Fetch standard: the auth hook lets them through.
 */
export function registerCors(app: App, origins: readonly string[]): void {
  if (origins.length === 0) return;
  app.register(fastifyCors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'POST'],
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
}
