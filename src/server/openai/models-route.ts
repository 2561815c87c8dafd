import { openAiErrorResponseSchema } from '../../../schemas/openai-error.js';
import { modelListSchema } from '../../../schemas/openai-models.js';
import type { App } from '../app.js';
import type { OpenAiRouteOptions } from './openai-route-options.js';

/** GET /v1/models: the served model, as the `openai` client's `models.list()` reads it. */
export function registerModelsRoute(v1: App, options: Pick<OpenAiRouteOptions, 'modelName'>): void {
  const created = Math.floor(Date.now() / 1000);
  v1.get(
    '/models',
    {
      schema: {
        summary: 'OpenAI-compatible model list: the one served model',
        description:
          'The model directory’s name as the id; `max_model_len` (the context) once the model has loaded.',
        response: { 200: modelListSchema, 401: openAiErrorResponseSchema },
      },
    },
    async () => {
      const service = v1.endpoint.model;
      // The context length is known once the model is loaded; the listing itself never waits for it.
      const maxModelLen = service?.ready ? service.require().config.contextTokens : undefined;
      return {
        object: 'list' as const,
        data: [
          {
            id: options.modelName,
            object: 'model' as const,
            created,
            owned_by: 'llama-endpoint',
            ...(maxModelLen === undefined ? {} : { max_model_len: maxModelLen }),
          },
        ],
      };
    },
  );
}
