/** A real server for tests: buildServer in-process, real workers, listening on 127.0.0.1 on a free port. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { App } from '../../src/server/app.js';
import { buildServer, DEFAULT_SERVER_OPTIONS, type ServerOptions } from '../../src/server/build-server.js';
import type { ModelOptions } from '../../src/server/model-service.js';

export interface TestServer {
  url: string;
  app: App;
  /** The JSON log lines written so far, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface TestServerOptions extends Partial<Omit<ServerOptions, 'model' | 'logger'>> {
  modelDir: string;
  model?: Partial<Omit<ModelOptions, 'modelDir'>>;
  /** Return before the model has loaded (to see the 503s). */
  waitForModel?: boolean;
}

export async function startServer(options: TestServerOptions): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line));
      done();
    },
  });
  const { modelDir, model, waitForModel = true, ...server } = options;
  const app = buildServer({
    ...DEFAULT_SERVER_OPTIONS,
    ...server,
    logger: pino({ level: 'info' }, sink),
    model: {
      modelDir,
      workers: 1,
      provider: 'cpu',
      maxBatchSize: 8,
      intraOpThreads: 1,
      prefillChunkTokens: 512,
      ...model,
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  if (waitForModel) await app.endpoint.model?.loaded;
  return { url, app, logs, close: () => app.close() };
}

/** POST a JSON body (an object, or raw text as given) and read the JSON answer. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: unknown }> {
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
