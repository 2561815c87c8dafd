import type { App } from '../app.js';

/** A key when keys are configured, else none: the OpenAPI way of saying "optional auth". */
const BEARER_OR_NONE: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, {}];

/**
 * Each route's OpenAPI `security` from the flag the auth hook reads (`config.public`), so the document says
 * what is enforced: open routes need nothing, every other one the key when keys are configured.
 */
export function documentSecurity(app: App): void {
  app.addHook('onRoute', (route) => {
    if (!route.schema || route.schema.hide) return;
    route.schema = { ...route.schema, security: route.config?.public ? [] : BEARER_OR_NONE };
  });
}
