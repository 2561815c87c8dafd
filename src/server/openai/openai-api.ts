import type { App } from '../app.js';
import { registerChatRoute } from './chat-route.js';
import { registerCompletionsRoute } from './completions-route.js';
import { registerModelsRoute } from './models-route.js';
import { registerOpenAiErrors } from './openai-errors.js';
import type { OpenAiRouteOptions } from './openai-route-options.js';

/**
 * The OpenAI-compatible routes under /v1, in a plugin scope of their own so that their errors (and unknown
 * /v1 paths) answer OpenAI's error shape. Auth, request ids, draining and the request log are the server's
 * hooks, inherited from the root.
 */
export function registerOpenAiApi(app: App, options: OpenAiRouteOptions): void {
  app.register(
    async (v1: App) => {
      registerOpenAiErrors(v1, options.bodyLimit);
      registerModelsRoute(v1, options);
      registerCompletionsRoute(v1, options);
      registerChatRoute(v1, options);
    },
    { prefix: '/v1' },
  );
}
