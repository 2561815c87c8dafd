/** What the /v1 routes need from the server's options. */
export interface OpenAiRouteOptions {
  /** The `model` every answer names and GET /v1/models lists. */
  modelName: string;
  /** Most prompts in one /v1/completions request (the same limit as /score). */
  maxPrompts: number;
  /** A request still generating after this many ms fails with 408 (or a stream's error event). */
  requestTimeoutMs: number;
  bodyLimit: number;
}
