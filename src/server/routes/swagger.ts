import type { App } from '../app.js';

/** The OpenAPI document generated from the route schemas (the same document as openapi.yaml). */
export function registerSwaggerRoute(app: App): void {
  app.get('/swagger.json', { schema: { hide: true } }, async () => app.swagger());
}
