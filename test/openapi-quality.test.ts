/** What a reader of the OpenAPI document needs beyond validity: one schema per concept. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpenAPIV3_1 } from 'openapi-types';
import { z } from 'zod';
import { openApiDocument } from '../src/server/openapi-document.js';

const document = (await openApiDocument()) as OpenAPIV3_1.Document;
const schemas = document.components?.schemas ?? {};

test('no schema is written twice as <name> and <name>Input', () => {
  const names = Object.keys(schemas);
  assert.deepEqual(
    names.filter((name) => name.endsWith('Input')),
    [],
  );
  for (const name of [
    'ScoreRequest',
    'ScoreParameters',
    'ChatCompletionRequest',
    'CompletionResponse',
    'Usage',
  ])
    assert.ok(names.includes(name), name);
});

test('every component is used by a route, and every reference resolves', () => {
  const text = JSON.stringify(document);
  const refs = new Set([...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!));
  assert.deepEqual(
    [...refs].filter((name) => !(name in schemas)),
    [],
  );
  assert.deepEqual(
    Object.keys(schemas).filter((name) => !refs.has(name)),
    [],
  );
});

test('every example in the document is valid for its schema', async () => {
  let checked = 0;
  for (const name of Object.keys(schemas)) {
    const schema = z.globalRegistry._idmap.get(name);
    const examples = schema && (z.globalRegistry.get(schema)?.examples as unknown[] | undefined);
    for (const example of examples ?? []) {
      const result = z.safeParse(schema!, example);
      assert.ok(result.success, `${name}: ${JSON.stringify(example)}: ${result.error?.message}`);
      checked++;
    }
  }
  assert.ok(checked >= 14, `${checked} examples checked`);
});
