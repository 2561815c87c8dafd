import { errorResponseSchema } from '../../../schemas/error.js';
import { tokenizeRequestSchema, tokenizeResponseSchema } from '../../../schemas/tokenize.js';
import type { App } from '../app.js';
import { BEARER_OR_NONE } from '../http/bearer-or-none.js';
import { requireModel } from '../model-service.js';

/** POST /tokenize: the ids a prompt becomes, and their vocabulary pieces. */
export function registerTokenizeRoute(app: App): void {
  app.post(
    '/tokenize',
    {
      schema: {
        summary: 'Text → token ids and pieces, as prompts are tokenized (text like `<s>` stays text)',
        security: BEARER_OR_NONE,
        body: tokenizeRequestSchema,
        response: {
          200: tokenizeResponseSchema,
          400: errorResponseSchema,
          401: errorResponseSchema,
          413: errorResponseSchema,
          415: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const { tokenizer } = requireModel(app.endpoint.model);
      const ids = tokenizer.encode(request.body.text, { addBos: request.body.add_special_tokens ?? true });
      return { ids, tokens: ids.map((id) => tokenizer.idToPiece(id)) };
    },
  );
}
