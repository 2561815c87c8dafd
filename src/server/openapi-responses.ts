import type { OpenAPIV3_1 } from 'openapi-types';
import { HttpError } from './http/http-error.js';
import { openAiError } from './openai/openai-errors.js';

/** What each error status means on this server, with an error it answers (the message as the server words it). */
const ERRORS: Record<string, { description: string; example: HttpError }> = {
  '400': {
    description:
      'Bad request: not JSON, a field of the wrong type or out of range, or a prompt over the context',
    example: HttpError.badField('input_data.parameters.top_p', 'must be <= 1'),
  },
  '401': {
    description:
      'Keys are configured and the Bearer key is missing or not one of them (`WWW-Authenticate: Bearer`)',
    example: new HttpError(401, 'Unauthorized', 'missing Authorization: Bearer <key>'),
  },
  '404': {
    description:
      'No such route, or `azureml-model-deployment` names a deployment this endpoint does not serve',
    example: new HttpError(
      404,
      'NotFound',
      "no deployment named 'green' on this endpoint; it serves 'default'",
    ),
  },
  '408': {
    description: 'Still generating after the request timeout; its sequences leave their batch',
    example: new HttpError(
      408,
      'RequestTimeout',
      'generation took longer than the request timeout of 90000 ms',
    ),
  },
  '413': {
    description: 'The body is larger than the body limit',
    example: new HttpError(413, 'PayloadTooLarge', 'the body is larger than the limit of 1048576 bytes'),
  },
  '415': {
    description: 'The body is not `application/json`',
    example: new HttpError(415, 'UnsupportedMediaType', 'Content-Type must be application/json'),
  },
  '429': {
    description: 'The server already holds its most requests in flight (`Retry-After: 1`)',
    example: new HttpError(429, 'TooManyRequests', '64 requests are already in flight'),
  },
  '500': {
    description: 'A worker failed during the generation',
    example: new HttpError(500, 'InternalServerError', 'generation failed: the worker thread exited'),
  },
  '503': {
    description: 'The model is loading (`Retry-After: 5`) or failed to load, or the server is draining',
    example: new HttpError(503, 'ServiceUnavailable', 'the model is loading (0 of 1 workers ready)'),
  },
};

const OPENAI_ERROR_REF = '#/components/schemas/OpenAiError';

function errorExample(http: HttpError, schema: unknown): unknown {
  if ((schema as { $ref?: string } | undefined)?.$ref === OPENAI_ERROR_REF) return openAiError(http);
  return {
    error: { code: http.code, message: http.message, ...(http.details ? { details: http.details } : {}) },
  };
}

/** What a success answer's schema says of itself, or of the component it refers to. */
function schemaDescription(document: OpenAPIV3_1.Document, schema: unknown): string | undefined {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  const target = ref ? document.components?.schemas?.[ref.slice(REF_PREFIX.length)] : schema;
  return (target as { description?: string } | undefined)?.description;
}

const REF_PREFIX = '#/components/schemas/';
/** @fastify/swagger's words for a response it found no description for. */
const UNDESCRIBED = 'Default Response';

/**
 * Each response described: an error by what its status means here, with an example in the envelope the route
 * answers (Azure's on /score and the utility routes, OpenAI's on /v1) — the route schemas share one error
 * schema per envelope, so every error would otherwise read as that schema's one description — and a success
 * answer by its schema's own description where @fastify/swagger found none.
 */
export function describeResponses(document: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item ?? {})) {
      const responses = (operation as OpenAPIV3_1.OperationObject).responses ?? {};
      for (const [status, response] of Object.entries(responses)) {
        if ('$ref' in response) continue;
        const meaning = ERRORS[status];
        const media = Object.values(response.content ?? {});
        if (meaning) {
          response.description = meaning.description;
          for (const type of media) type.example = errorExample(meaning.example, type.schema);
        } else if (response.description === UNDESCRIBED) {
          response.description = schemaDescription(document, media[0]?.schema) ?? UNDESCRIBED;
        }
      }
    }
  }
  return document;
}
