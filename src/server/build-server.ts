import { basename, resolve } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { Admission } from '../scheduler/admission.js';
import type { App } from './app.js';
import { ServerMetrics } from './http/metrics.js';
import { type ModelOptions, ModelService } from './model-service.js';
import { registerOpenAiApi } from './openai/openai-api.js';
import { registerAuth } from './http/auth.js';
import { registerDraining } from './http/draining.js';
import { registerErrors } from './http/errors.js';
import { registerRequestIds, requestId } from './http/request-ids.js';
import { registerRequestLog } from './http/request-log.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerScoreRoute } from './score/score-route.js';
import { registerSwaggerRoute } from './routes/swagger.js';
import { registerTokenizeRoute } from './routes/tokenize.js';

export interface ServerOptions {
  /** The model to serve; absent for an app that only documents its routes (scripts/write-openapi). */
  model?: ModelOptions;
  /** Bearer keys; empty = no auth. */
  apiKeys: string[];
  /** The `azureml-model-deployment` response header. */
  deploymentName: string;
  /** Requests in flight (running + queued) beyond which new ones get 429. */
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
  maxPrompts: number;
  /** Bytes; larger bodies get 413. */
  bodyLimit: number;
  /** A pino logger; absent = silent. */
  logger?: FastifyBaseLogger;
}

export const DEFAULT_SERVER_OPTIONS = {
  apiKeys: [],
  deploymentName: 'default',
  maxConcurrentRequests: 64,
  requestTimeoutMs: 90_000,
  maxPrompts: 16,
  bodyLimit: 1024 * 1024,
} satisfies Omit<ServerOptions, 'model'>;

/**
 * The HTTP server: Fastify with zod validation, Azure's front-end behaviour (auth, request ids, deployment
 * header, admission), the routes, metrics and one log line per request. Starts loading the model (if any)
 * at once but does not wait for it: the server can listen while workers load, and probes answer 503.
 */
export function buildServer(options: ServerOptions): App {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit,
    genReqId: requestId,
    // One line per request comes from the request-log plugin instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is a wrong content type (415), not a string to validate.
  app.removeContentTypeParser('text/plain');

  const metrics = new ServerMetrics();
  const admission = new Admission(options.maxConcurrentRequests);
  const model = options.model ? new ModelService(options.model, metrics, app.log) : undefined;
  app.decorate('endpoint', { model, admission, metrics, draining: false });
  metrics.watch({
    inFlight: () => admission.count,
    running: () => model?.scheduler.running ?? 0,
    waiting: () => model?.scheduler.waiting ?? 0,
  });
  if (model) app.addHook('onClose', () => model.close());

  registerRequestIds(app, options.deploymentName);
  // Before auth and draining: a refusal in an onRequest hook skips the hooks after it.
  registerRequestLog(app);
  registerAuth(app, options.apiKeys);
  registerDraining(app);
  registerErrors(app, options.bodyLimit);

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'llama-endpoint',
        description: 'Azure ML real-time endpoint contract for Llama-2, served with ONNX Runtime',
        version: '0.1.0',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  app.after(() => {
    registerHealthRoutes(app);
    registerScoreRoute(app, { maxPrompts: options.maxPrompts, requestTimeoutMs: options.requestTimeoutMs });
    registerMetricsRoute(app);
    registerSwaggerRoute(app);
    registerTokenizeRoute(app);
    registerOpenAiApi(app, {
      modelName: options.model ? basename(resolve(options.model.modelDir)) : 'none',
      maxPrompts: options.maxPrompts,
      requestTimeoutMs: options.requestTimeoutMs,
      bodyLimit: options.bodyLimit,
    });
  });
  return app;
}
