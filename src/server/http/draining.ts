import type { App } from '../app.js';
import { HttpError } from './http-error.js';

/** While draining (SIGTERM) only liveness answers; everything else gets 503 so load balancers move on. */
export function registerDraining(app: App): void {
  app.addHook('onRequest', async (request) => {
    if (app.endpoint.draining && request.routeOptions.url !== '/health/live') {
      throw new HttpError(503, 'ServiceUnavailable', 'the server is shutting down');
    }
  });
}
