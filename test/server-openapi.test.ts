import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { parse } from 'yaml';
import { buildServer, DEFAULT_SERVER_OPTIONS } from '../src/server/build-server.js';
import { REPO_ROOT } from './helpers/paths.js';

/** /swagger.json of an app without a model: the routes and schemas do not depend on one. */
async function servedDocument(): Promise<Record<string, unknown>> {
  const app = buildServer(DEFAULT_SERVER_OPTIONS);
  try {
    const response = await app.inject({ method: 'GET', url: '/swagger.json' });
    assert.equal(response.statusCode, 200);
    return response.json();
  } finally {
    await app.close();
  }
}

test('/swagger.json is a valid OpenAPI 3 document describing /score and the probes', async () => {
  const document = await servedDocument();
  assert.match(String(document.openapi), /^3\./);
  // validate() dereferences in place: give it a copy.
  await SwaggerParser.validate(structuredClone(document) as never);
  const paths = document.paths as Record<string, Record<string, unknown>>;
  for (const path of ['/score', '/', '/health/live', '/health/ready', '/metrics'])
    assert.ok(paths[path], path);
  assert.equal(paths['/swagger.json'], undefined);
  const score = JSON.stringify(paths['/score']);
  for (const word of ['input_string', 'ScoreParameters', 'ChatMessage', '"400"', '"429"']) {
    assert.ok(score.includes(word) || JSON.stringify(document).includes(word), word);
  }
});

test('openapi.yaml is the served document (run `npm run openapi` after changing a schema)', async () => {
  const checkedIn = parse(await readFile(join(REPO_ROOT, 'openapi.yaml'), 'utf8'));
  assert.deepEqual(checkedIn, await servedDocument());
});
