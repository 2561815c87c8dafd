import { readFileSync } from 'node:fs';
import { versionSchema } from '../../../schemas/tokenize.js';
import type { App } from '../app.js';

/** package.json at the package root, wherever the compiled file runs from. */
const PACKAGE_JSON = new URL('../../../../package.json', import.meta.url);

/** GET /version, as vLLM answers it: `{"version": ...}`; open, like the probes. */
export function registerVersionRoute(app: App): void {
  const { version } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
  app.get(
    '/version',
    {
      config: { public: true },
      schema: {
        summary: 'This server’s version (vLLM-compatible)',
        description: 'The version in package.json, as `{"version": ...}`; open without a key.',
        response: { 200: versionSchema },
      },
    },
    async () => ({ version }),
  );
}
