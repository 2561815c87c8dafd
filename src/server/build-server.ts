import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { Admission } from '../scheduler/admission.js';
import type { App } from './app.js';
import { registerAuth } from './http/auth.js';
import { documentSecurity } from './http/bearer-or-none.js';
import { registerCors } from './http/cors.js';
import { registerDeploymentRouting } from './http/deployment-routing.js';
import { registerDraining } from './http/draining.js';
import { registerErrors } from './http/errors.js';
import { ServerMetrics } from './http/metrics.js';
import { registerRequestIds, requestId } from './http/request-ids.js';
import { registerRequestLog } from './http/request-log.js';
import type { ServedModel } from './model-service.js';
import { registerOpenAiApi } from './openai/openai-api.js';
import { mergeIoComponents } from './openapi-components.js';
import { describeResponses } from './openapi-responses.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerPlaygroundRoutes } from './routes/playground.js';
import { registerSwaggerRoute } from './routes/swagger.js';
import { registerTokenizeRoute } from './routes/tokenize.js';
import { registerVersionRoute } from './routes/version.js';
import { registerScoreRoute } from './score/score-route.js';

export interface ServerOptions {
  /**
   * The model to serve, already loading (`ModelService`); the server closes it when it closes. Absent for an
   * app that only documents its routes (scripts/write-openapi).
   */
  model?: ServedModel;
  /** The registry the model reports into (`ModelService` takes the same one); absent = a new one. */
  metrics?: ServerMetrics;
  /** Bearer keys; empty = no auth. */
  apiKeys: string[];
  /** The `azureml-model-deployment` response header. */
  deploymentName: string;
  /** The model's name in /v1 responses; default the model directory's name (`/model` in a container: "model"). */
  servedModelName?: string;
  /** Requests in flight (running + queued) beyond which new ones get 429. */
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
  maxPrompts: number;
  /** Bytes; larger bodies get 413. */
  bodyLimit: number;
  /** A pino logger; absent = silent. */
  logger?: FastifyBaseLogger;
  /** Serve the playground page at /playground. */
  playground: boolean;
  /** Origins browser scripts may call from (CORS), `*` for any; empty = CORS off. */
  corsOrigins: string[];
}

export const DEFAULT_SERVER_OPTIONS = {
  apiKeys: [],
  deploymentName: 'default',
  maxConcurrentRequests: 64,
  requestTimeoutMs: 90_000,
  maxPrompts: 16,
  bodyLimit: 1024 * 1024,
  playground: true,
  corsOrigins: [],
} satisfies Omit<ServerOptions, 'model' | 'metrics'>;

/**
 * The HTTP server: Fastify with zod validation, Azure's front-end behaviour (auth, request ids, deployment
 * header, admission), the routes, metrics and one log line per request. It does not wait for the model: the
 * server can listen while workers load, and probes answer 503.
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

  const { model, metrics = new ServerMetrics() } = options;
  const admission = new Admission(options.maxConcurrentRequests);
  app.decorate('endpoint', { model, admission, metrics, draining: false });
  // Set by a generation route, read by the request log (declared in app.ts).
  app.decorateRequest('generation', undefined);
  metrics.watch({
    inFlight: () => admission.count,
    running: () => model?.running ?? 0,
    waiting: () => model?.waiting ?? 0,
  });
  if (model) app.addHook('onClose', () => model.close());

  registerRequestIds(app, options.deploymentName);
  // Before auth and draining: a refusal in an onRequest hook skips the hooks after it.
  registerRequestLog(app);
  registerCors(app, options.corsOrigins);
  registerAuth(app, options.apiKeys);
  registerDeploymentRouting(app, options.deploymentName);
  registerDraining(app);
  registerErrors(app, options.bodyLimit);

  documentSecurity(app);
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
    transformObject: (document) =>
      describeResponses(mergeIoComponents(jsonSchemaTransformObject(document) as OpenAPIV3_1.Document)),
  });
  app.after(() => {
    registerHealthRoutes(app);
    registerScoreRoute(app, { maxPrompts: options.maxPrompts, requestTimeoutMs: options.requestTimeoutMs });
    registerMetricsRoute(app);
    registerSwaggerRoute(app);
    registerTokenizeRoute(app);
    registerVersionRoute(app);
    if (options.playground) registerPlaygroundRoutes(app);
    registerOpenAiApi(app, {
      modelName: options.servedModelName ?? model?.name ?? 'none',
      maxPrompts: options.maxPrompts,
      requestTimeoutMs: options.requestTimeoutMs,
      bodyLimit: options.bodyLimit,
    });
  });
  return app;
}
