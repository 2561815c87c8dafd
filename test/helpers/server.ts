/**
 * Servers for tests, built in-process: `startServer` with a real model (real workers, listening on 127.0.0.1
 * on a free port), `fakeServer` with the in-process fake model, spoken to through `app.inject`.
 */
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import type { App } from '../../src/server/app.js';
import { buildServer, DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../../src/server/build-server.js';
import { ServerMetrics } from '../../src/server/http/metrics.js';
import { type ModelOptions, ModelService } from '../../src/server/model-service.js';
import { fakeModel } from './fake-model.js';

export interface TestServer {
  url: string;
  app: App;
  /** The JSON log lines written so far, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface TestServerOptions extends Partial<Omit<ServerOptions, 'model' | 'metrics' | 'logger'>> {
  modelDir: string;
  model?: Partial<Omit<ModelOptions, 'modelDir'>>;
  /** Return before the model has loaded (to see the 503s). */
  waitForModel?: boolean;
}

/** A pino logger writing into `logs`, one parsed object per line. */
function collectingLogger(logs: Record<string, unknown>[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

export async function startServer(options: TestServerOptions): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const { modelDir, model, waitForModel = true, ...server } = options;
  const logger = collectingLogger(logs);
  const metrics = new ServerMetrics();
  const service = new ModelService(
    {
      modelDir,
      workers: 1,
      provider: 'cpu',
      maxBatchSize: 8,
      intraOpThreads: 1,
      prefillChunkTokens: 512,
      ...model,
    },
    metrics,
    logger,
  );
  const app = buildServer({ ...DEFAULT_SERVER_OPTIONS, ...server, logger, metrics, model: service });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  if (waitForModel) await service.loaded;
  return { url, app, logs, close: () => app.close() };
}

/** An answer read as `postJson` reads one. */
export interface TestAnswer {
  status: number;
  headers: Headers;
  json: unknown;
}

export interface FakeServer {
  app: App;
  logs: Record<string, unknown>[];
  /** A request through `app.inject`: a body object is sent as JSON, a string as it is. */
  call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestAnswer>;
  close(): Promise<void>;
}

/** The server over the fake model (no worker thread, no ONNX session), not listening. */
export async function fakeServer(
  options: Partial<Omit<ServerOptions, 'model' | 'logger'>> = {},
): Promise<FakeServer> {
  const logs: Record<string, unknown>[] = [];
  const app = buildServer({
    ...DEFAULT_SERVER_OPTIONS,
    ...options,
    logger: collectingLogger(logs),
    model: await fakeModel(),
  });
  return {
    app,
    logs,
    async call(method, path, body, headers = {}) {
      const response = await app.inject({
        method,
        url: path,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const answerHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) answerHeaders.set(name, String(value));
      }
      return {
        status: response.statusCode,
        headers: answerHeaders,
        json: response.body === '' ? undefined : JSON.parse(response.body),
      };
    },
    close: () => app.close(),
  };
}

/** POST a JSON body (an object, or raw text as given) and read the JSON answer. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<TestAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? undefined : JSON.parse(text),
  };
}

/** One sample of a Prometheus metric from the text exposition (labels as written, e.g. `{worker="0"}`). */
export function metricValue(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
