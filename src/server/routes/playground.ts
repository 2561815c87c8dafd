import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { App } from '../app.js';

/** playground/ at the package root, wherever the compiled file runs from. */
const PLAYGROUND_DIR = new URL('../../../../playground/', import.meta.url);

const FILES = [
  { route: '/playground', file: 'index.html', type: 'text/html; charset=utf-8' },
  { route: '/playground/playground.js', file: 'playground.js', type: 'text/javascript; charset=utf-8' },
] as const;

/**
 * The playground: a static page (no build step) that calls the public /v1 routes from the browser, with the
 * key the person types in. The page itself is open (it holds nothing secret) and not in the OpenAPI document.
 */
export function registerPlaygroundRoutes(app: App): void {
  for (const { route, file, type } of FILES) {
    const body = readFileSync(fileURLToPath(new URL(file, PLAYGROUND_DIR)));
    app.get(route, { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply.type(type).header('cache-control', 'no-cache').send(body),
    );
  }
}
