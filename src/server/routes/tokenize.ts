import { errorResponseSchema } from '../../../schemas/error.js';
import {
  detokenizeRequestSchema,
  detokenizeResponseSchema,
  type TokenizeRequest,
  type TokenizeResponse,
  tokenizeRequestSchema,
  tokenizeResponseSchema,
} from '../../../schemas/tokenize.js';
import type { App } from '../app.js';
import { chatPromptIds } from '../generation/chat-template.js';
import { HttpError } from '../http/http-error.js';
import { type LoadedModel, requireModel } from '../model-service.js';
import { conversationOf } from '../openai/chat-route.js';

const ERRORS = {
  400: errorResponseSchema,
  401: errorResponseSchema,
  413: errorResponseSchema,
  415: errorResponseSchema,
  503: errorResponseSchema,
};

/**
 * The ids a request's text becomes: vLLM's answer for `prompt` and `messages` (the ids a completion or a chat
 * would feed the model), the original `ids` and pieces for `text`.
 */
function tokenized(body: TokenizeRequest, model: LoadedModel): TokenizeResponse {
  const { tokenizer } = model;
  const addBos = body.add_special_tokens ?? true;
  if (body.text !== undefined) {
    const ids = tokenizer.encode(body.text, { addBos });
    return { ids, tokens: ids.map((id) => tokenizer.idToPiece(id)) };
  }
  const ids =
    body.messages !== undefined
      ? chatPromptIds(tokenizer, conversationOf(body.messages))
      : tokenizer.encode(body.prompt ?? '', { addBos });
  return {
    count: ids.length,
    max_model_len: model.config.contextTokens,
    tokens: ids,
    ...(body.return_token_strs ? { token_strs: ids.map((id) => tokenizer.idToPiece(id)) } : {}),
  };
}

/** POST /tokenize and POST /detokenize, in vLLM's shapes (and /tokenize's original `text` form). */
export function registerTokenizeRoute(app: App): void {
  app.post(
    '/tokenize',
    {
      schema: {
        summary: 'Text or a chat → token ids, as the generation routes tokenize them (vLLM-compatible)',
        description:
          '`prompt` (vLLM) answers `tokens`, `count` and `max_model_len` (`token_strs` with `return_token_strs`); ' +
          '`messages` (vLLM) answers the ids /v1/chat/completions feeds the model for that chat; `text` (the ' +
          'original form) answers `ids` and their vocabulary pieces as `tokens`. Typed control text like `<s>` ' +
          'stays text.',
        body: tokenizeRequestSchema,
        response: { 200: tokenizeResponseSchema, ...ERRORS },
      },
    },
    async (request) => tokenized(request.body, requireModel(app.endpoint.model)),
  );
  app.post(
    '/detokenize',
    {
      schema: {
        summary: 'Token ids → text (vLLM-compatible)',
        description: 'The text the ids decode to, as the generation routes decode; BOS and EOS add no text.',
        body: detokenizeRequestSchema,
        response: { 200: detokenizeResponseSchema, ...ERRORS },
      },
    },
    async (request) => {
      const { tokenizer } = requireModel(app.endpoint.model);
      const { tokens } = request.body;
      const outside = tokens.findIndex((id) => id >= tokenizer.vocabSize);
      if (outside >= 0) {
        throw HttpError.badField(
          `tokens[${outside}]`,
          `${tokens[outside]} is not a token id of this model (its vocabulary has ${tokenizer.vocabSize})`,
        );
      }
      return { prompt: tokenizer.decode(tokens) };
    },
  );
}
