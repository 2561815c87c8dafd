import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** The headers of an event stream; `x-accel-buffering: no` keeps nginx-style proxies from holding chunks back. */
const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;

/** One Server-Sent Event whose data is a JSON value (JSON never holds a raw newline, so one `data:` line). */
export const sseEvent = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;

/** The last event of an OpenAI stream. */
export const SSE_DONE = 'data: [DONE]\n\n';

/** The frames of a stream of JSON values, ended by `data: [DONE]` as OpenAI streams end. */
export async function* sseFrames(values: AsyncIterable<unknown>): AsyncGenerator<string> {
  for await (const value of values) yield sseEvent(value);
  yield SSE_DONE;
}

/**
 * Answers the values as Server-Sent Events. Fastify destroys the byte stream when the client goes away, which
 * ends the iteration of `values` early (and so cancels what produces them). It takes the untyped reply: a
 * route's typed reply knows only its JSON bodies.
 */
export function sendEventStream(reply: FastifyReply, values: AsyncIterable<unknown>): FastifyReply {
  return reply.headers(EVENT_STREAM_HEADERS).send(Readable.from(sseFrames(values), { objectMode: false }));
}
