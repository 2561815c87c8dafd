import { type Dispatcher, Pool } from 'undici';

export interface HttpResponse {
  status: number;
  /** Must be read or dumped, or the connection is not reused. */
  body: Dispatcher.ResponseData['body'];
}

/**
 * One keep-alive connection per concurrent client to the target server, with the caller's API key on every
 * request. Each request is bounded by `timeoutMs` alone (undici's own header and body timeouts are off, so a
 * long generation is not cut by them); it then fails with `signal.aborted` set.
 */
export class BenchClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    url: URL,
    connections: number,
    private readonly timeoutMs: number,
    private readonly apiKey?: string,
  ) {
    this.pool = new Pool(url.origin, { connections, headersTimeout: 0, bodyTimeout: 0 });
    // A URL with a path (a reverse proxy's prefix) puts every route under it.
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  private headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = {};
    if (json) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    return headers;
  }

  /** A fresh per-request limit, for the caller to tell a timeout from other failures. */
  timeoutSignal(): AbortSignal {
    return AbortSignal.timeout(this.timeoutMs);
  }

  async post(path: string, body: unknown, signal = this.timeoutSignal()): Promise<HttpResponse> {
    const response = await this.pool.request({
      path: this.basePath + path,
      method: 'POST',
      headers: this.headers(true),
      body: JSON.stringify(body),
      signal,
    });
    return { status: response.statusCode, body: response.body };
  }

  async get(path: string, signal = this.timeoutSignal()): Promise<HttpResponse> {
    const response = await this.pool.request({
      path: this.basePath + path,
      method: 'GET',
      headers: this.headers(false),
      signal,
    });
    return { status: response.statusCode, body: response.body };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
