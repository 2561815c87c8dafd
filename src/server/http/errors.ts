import type { FastifyError } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorCode, ErrorResponse } from '../../../schemas/error.js';
import type { App } from '../app.js';
import { HttpError } from './http-error.js';
import { fieldErrors } from './validation-messages.js';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  408: 'RequestTimeout',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'ServiceUnavailable',
};

/** `/input_data/input_string/0` → ['input_data', 'input_string', 0]. */
const pathOf = (instancePath: string) =>
  instancePath
    .split('/')
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));

/** Any error thrown while serving a request, in the caller's terms. */
function toHttpError(error: FastifyError, bodyLimit: number): HttpError {
  if (error instanceof HttpError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    return HttpError.badFields(
      fieldErrors(
        error.validation.map((issue) => ({
          ...issue.params,
          code: issue.keyword,
          path: pathOf(issue.instancePath),
          message: issue.message ?? 'is not valid',
        })),
      ),
    );
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'UnsupportedMediaType', 'Content-Type must be application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'PayloadTooLarge', `the body is larger than the limit of ${bodyLimit} bytes`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return HttpError.badField('(body)', 'is empty; a JSON object is required');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return HttpError.badField('(body)', 'is not valid JSON');
  }
  const status = error.statusCode ?? 500;
  const code = CODE_BY_STATUS[status];
  if (code !== undefined) return new HttpError(status, code, error.message);
  return new HttpError(500, 'InternalServerError', 'internal error');
}

/**
 * Errors and unknown routes of `scope` answer `envelope(error)` with the status and headers the error decides;
 * a failure no route meant (not an HttpError) is logged.
 */
export function registerErrorEnvelope<Body>(
  scope: App,
  bodyLimit: number,
  envelope: (http: HttpError) => Body,
): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    const http = toHttpError(error, bodyLimit);
    if (http.statusCode >= 500 && !(error instanceof HttpError))
      request.log.error({ err: error }, 'request failed');
    return reply.code(http.statusCode).headers(http.headers).send(envelope(http));
  });
  scope.setNotFoundHandler((request, reply) => {
    const message = `no route ${request.method} ${request.url.split('?')[0]}`;
    return reply.code(404).send(envelope(new HttpError(404, 'NotFound', message)));
  });
}

/** The server's own error envelope. */
function errorResponse(http: HttpError): ErrorResponse {
  return {
    error: { code: http.code, message: http.message, ...(http.details ? { details: http.details } : {}) },
  };
}

/** Every error and unknown route answers the JSON error envelope. */
export function registerErrors(app: App, bodyLimit: number): void {
  registerErrorEnvelope(app, bodyLimit, errorResponse);
}
