import type { OpenAPIV3_1 } from 'openapi-types';

const REF_PREFIX = '#/components/schemas/';
/** fastify-type-provider-zod names the request-side copy of every registered schema `<id>Input`. */
const INPUT_SUFFIX = 'Input';

/** The component names a JSON value refers to, directly. */
function refsIn(value: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string' && item.startsWith(REF_PREFIX))
        found.add(item.slice(REF_PREFIX.length));
      else refsIn(item, found);
    }
  }
  return found;
}

/** The value with each `$ref` to a renamed component pointing at its new name. */
function renameRefs<T>(value: T, names: ReadonlyMap<string, string>): T {
  return JSON.parse(JSON.stringify(value), (key, item: unknown) =>
    key === '$ref' && typeof item === 'string' && item.startsWith(REF_PREFIX)
      ? REF_PREFIX + (names.get(item.slice(REF_PREFIX.length)) ?? item.slice(REF_PREFIX.length))
      : item,
  ) as T;
}

/**
 * One component per schema. The zod type provider writes every registered schema twice, once as requests
 * parse it (`<id>Input`: extra properties allowed) and once as responses are written (`<id>`: closed), whatever
 * each is used for. This keeps the components the routes reach, and names a request-side one by its id when
 * its response-side twin is unused — which, in this API, is every one of them.
 */
export function mergeIoComponents(document: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  const schemas = document.components?.schemas ?? {};
  const reached = new Set<string>();
  const pending = [...refsIn(document.paths, new Set())];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (reached.has(name) || !(name in schemas)) continue;
    reached.add(name);
    pending.push(...refsIn(schemas[name], new Set()));
  }
  const names = new Map<string, string>();
  for (const name of reached) {
    const base = name.slice(0, -INPUT_SUFFIX.length);
    if (name.endsWith(INPUT_SUFFIX) && base in schemas && !reached.has(base)) names.set(name, base);
  }
  const kept = Object.fromEntries(
    [...reached].sort().map((name) => [names.get(name) ?? name, renameRefs(schemas[name], names)]),
  );
  return renameRefs({ ...document, components: { ...document.components, schemas: kept } }, names);
}
