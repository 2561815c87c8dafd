/**
 * Writes openapi.yaml at the repository root: the document GET /swagger.json serves, generated from the same
 * app (its zod schemas) without loading a model. `npm run openapi` after changing a schema or a route.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openApiYaml } from '../src/server/openapi-document.js';

const target = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));
await writeFile(target, await openApiYaml());
process.stdout.write(`wrote ${target}\n`);
