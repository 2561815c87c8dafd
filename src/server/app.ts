import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Admission } from '../scheduler/admission.js';
import type { GenerationStats } from './generation/client-generation.js';
import type { ServerMetrics } from './http/metrics.js';
import type { ServedModel } from './model-service.js';

/** What the server holds besides its routes. */
export interface EndpointState {
  /** Absent when the app only documents its routes (scripts/write-openapi). */
  model?: ServedModel;
  admission: Admission;
  metrics: ServerMetrics;
  /** Set on SIGTERM: new requests get 503, in-flight ones finish. */
  draining: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    endpoint: EndpointState;
  }
  interface FastifyRequest {
    /** Set when the request started generating; settles once all its sequences have ended. */
    generation?: Promise<GenerationStats>;
  }
  interface FastifyContextConfig {
    /** Open without an API key (health probes). */
    public?: boolean;
    /** Polled by an orchestrator or a scraper every few seconds: its request line is logged at debug, not info. */
    polled?: boolean;
  }
}

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;
