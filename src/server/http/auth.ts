import { createHash, timingSafeEqual } from 'node:crypto';
import type { App } from '../app.js';
import { HttpError } from './http-error.js';

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * Bearer keys (Azure's primary and secondary): when any are configured every route but the health probes
 * needs one. Keys are compared as fixed-length digests with timingSafeEqual, every key every time.
 */
export function registerAuth(app: App, apiKeys: readonly string[]): void {
  if (apiKeys.length === 0) return;
  const keys = apiKeys.map(digest);
  app.addHook('onRequest', async (request) => {
    // A CORS preflight never carries credentials (Fetch standard); the request it announces does.
    const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'];
    if (request.routeOptions.config.public || preflight) return;
    const token = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
    const given = digest(token ?? '');
    let match = false;
    for (const key of keys) match = timingSafeEqual(key, given) || match;
    if (token === undefined || !match) {
      const message =
        token === undefined ? 'missing Authorization: Bearer <key>' : 'the API key is not valid';
      throw new HttpError(401, 'Unauthorized', message, undefined, { 'www-authenticate': 'Bearer' });
    }
  });
}
