import type { OpenAiErrorResponse } from '../../../schemas/openai-error.js';
import type { App } from '../app.js';
import { registerErrorEnvelope } from '../http/errors.js';
import type { HttpError } from '../http/http-error.js';

/** OpenAI's error `type` for each status the server answers. */
const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  408: 'timeout_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
  503: 'service_unavailable_error',
};

/** The server's error in OpenAI's shape; `code` and `details` stay the server's own. */
export function openAiError(http: HttpError): OpenAiErrorResponse {
  return {
    error: {
      message: http.message,
      type: TYPE_BY_STATUS[http.statusCode] ?? 'server_error',
      param: http.details?.[0]?.field ?? null,
      code: http.code,
      ...(http.details ? { details: http.details } : {}),
    },
  };
}

/**
 * Errors of the /v1 routes (this plugin's scope) in OpenAI's envelope, which the `openai` client turns into
 * its typed errors with `message`, `type`, `param` and `code`. The status codes and headers are those of
 * every other route: the same conversion decides them.
 */
export function registerOpenAiErrors(v1: App, bodyLimit: number): void {
  registerErrorEnvelope(v1, bodyLimit, openAiError);
}
