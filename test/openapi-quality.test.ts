/**
 * What a reader of the OpenAPI document needs beyond validity: one schema per concept, a description and an
 * example for every route and response, and security stated as the server enforces it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpenAPIV3_1 } from 'openapi-types';
import { z } from 'zod';
import { openApiDocument } from '../src/server/openapi-document.js';
import { fakeServer } from './helpers/server.js';

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

type Operation = OpenAPIV3_1.OperationObject;

const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  Object.entries(item ?? {}).map(([method, operation]) => ({
    path,
    method,
    operation: operation as Operation,
  })),
);

/** The schema a media type refers to, resolved one level. */
function resolved(schema: unknown): Record<string, unknown> {
  const ref = (schema as { $ref?: string }).$ref;
  return (ref ? schemas[ref.slice('#/components/schemas/'.length)] : schema) as Record<string, unknown>;
}

test('every route has a summary and a description; every response a description and an example', () => {
  assert.ok(operations.length >= 12, `${operations.length} operations`);
  for (const { path, method, operation } of operations) {
    const route = `${method.toUpperCase()} ${path}`;
    assert.ok(operation.summary && operation.description, `${route}: summary and description`);
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      const { description, content } = response as OpenAPIV3_1.ResponseObject;
      assert.ok(description && description !== 'Default Response', `${route} ${status}: ${description}`);
      for (const [type, media] of Object.entries(content ?? {})) {
        const examples = media.example !== undefined || resolved(media.schema).examples !== undefined;
        assert.ok(examples, `${route} ${status} ${type}: no example`);
      }
    }
  }
});

test('each error response is described by its status, with an example in the route’s envelope', () => {
  const score = document.paths!['/score']!.post!.responses!;
  const completions = document.paths!['/v1/completions']!.post!.responses!;
  const example = (responses: typeof score, status: string) =>
    Object.values((responses[status] as OpenAPIV3_1.ResponseObject).content!)[0]!.example as {
      error: Record<string, unknown>;
    };
  assert.match((score['429'] as OpenAPIV3_1.ResponseObject).description, /Retry-After: 1/);
  assert.equal(example(score, '401').error.code, 'Unauthorized');
  assert.equal(example(completions, '401').error.type, 'authentication_error');
  assert.notEqual(
    (score['400'] as OpenAPIV3_1.ResponseObject).description,
    (score['503'] as OpenAPIV3_1.ResponseObject).description,
  );
});

test('security is stated per route as enforced: with keys set, exactly the keyed routes answer 401', async () => {
  const server = await fakeServer({ apiKeys: ['k'] });
  try {
    for (const { path, method, operation } of operations) {
      const keyed = JSON.stringify(operation.security) === JSON.stringify([{ bearerAuth: [] }, {}]);
      assert.ok(
        keyed || JSON.stringify(operation.security) === '[]',
        `${path}: ${JSON.stringify(operation.security)}`,
      );
      const answer = await server.call(
        method.toUpperCase() as 'GET' | 'POST',
        path,
        method === 'post' ? {} : undefined,
      );
      assert.equal(answer.status === 401, keyed, `${method.toUpperCase()} ${path} answered ${answer.status}`);
    }
    const metrics = operations.find((o) => o.path === '/metrics')!;
    assert.deepEqual(metrics.operation.security, [{ bearerAuth: [] }, {}], '/metrics needs the key');
  } finally {
    await server.close();
  }
});
