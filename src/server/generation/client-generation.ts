import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Scheduler } from '../../scheduler/scheduler.js';
import type { SequenceDone, SequenceEvent, SequenceSpec } from '../../scheduler/sequence-event.js';
import { HttpError } from '../http/http-error.js';

/** Token counts and timings of one generation request, for its log line. */
export interface GenerationStats {
  promptTokens: number;
  generatedTokens: number;
  queueMs: number;
  timeToFirstTokenMs?: number;
}

export interface ClientGenerationOptions {
  scheduler: Pick<Scheduler, 'generate'>;
  /** Every sequence still running after this many ms ends with finish reason 'timeout'. */
  timeoutMs: number;
  /** The answer is streamed token by token; false: given whole at the end (the events are only 'done's). */
  streamTokens: boolean;
}

/**
 * One HTTP request's generation: admitted (429 with Retry-After when every slot is taken) before anything
 * starts, cancelled when the client goes away before its answer ended, or when the timeout passes. The slot
 * is released when the events end or the response closes, whichever comes first, so a stream whose
 * iteration never started (the client left at once) does not hold it either.
 */
export function clientGeneration(
  request: FastifyRequest,
  reply: FastifyReply,
  specs: readonly SequenceSpec[],
  { scheduler, timeoutMs, streamTokens }: ClientGenerationOptions,
): AsyncIterableIterator<SequenceEvent> {
  const { admission } = request.server.endpoint;
  const release = admission.tryEnter();
  if (release === undefined) {
    throw new HttpError(
      429,
      'TooManyRequests',
      `${admission.limit} requests are already in flight`,
      undefined,
      { 'retry-after': '1' },
    );
  }
  const clientGone = new AbortController();
  // The response's early 'close' means the client went away.
  const response = reply.raw;
  response.once('close', () => {
    if (!response.writableEnded) clientGone.abort();
    release();
  });
  const generation = scheduler.generate(specs, { signal: clientGone.signal, timeoutMs, streamTokens });
  // For the request's log line, settled once every sequence has ended (also after the client left).
  request.generation = generation.finished.then(statsOf);
  return releasing(generation, release);
}

/** The events unchanged; the slot is released however their iteration ends (done, break, throw). */
async function* releasing(
  events: AsyncIterableIterator<SequenceEvent>,
  release: () => void,
): AsyncGenerator<SequenceEvent> {
  try {
    yield* events;
  } finally {
    release();
  }
}

/** The request's token counts summed; it waited as long as its slowest sequence, its first token came first. */
function statsOf(done: readonly SequenceDone[]): GenerationStats {
  const firstTokens = done.flatMap((d) =>
    d.timings.firstTokenMs === undefined ? [] : [d.timings.firstTokenMs],
  );
  return {
    promptTokens: done.reduce((sum, d) => sum + d.promptTokens, 0),
    generatedTokens: done.reduce((sum, d) => sum + d.generatedTokens, 0),
    queueMs: Math.max(0, ...done.map((d) => d.timings.queueMs)),
    timeToFirstTokenMs: firstTokens.length > 0 ? Math.min(...firstTokens) : undefined,
  };
}
