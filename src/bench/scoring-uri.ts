import type { BenchRoute } from './generation-request.js';

/**
 * The server's base URL and route for a `--url`. Azure ML shows an endpoint as its scoring URI
 * (`https://<name>.<region>.inference.ml.azure.com/score`): given that, the base is its parent and the route
 * is /score unless one was asked for. Any other path is a prefix every route sits under (a reverse proxy's).
 */
export function resolveScoringUri(
  url: URL,
  route: BenchRoute | 'auto',
): { base: URL; route: BenchRoute | 'auto' } {
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/score')) return { base: url, route };
  const base = new URL(url.href);
  base.pathname = `${path.slice(0, -'/score'.length)}/`;
  base.search = '';
  return { base, route: route === 'auto' ? 'score' : route };
}
