import type { SequenceDone, SequenceEvent } from '../../scheduler/sequence-event.js';
import { HttpError } from '../http/http-error.js';

/** A non-streamed answer's sequences, in request order, once all are done. */
export async function finishedSequences(events: AsyncIterable<SequenceEvent>): Promise<SequenceDone[]> {
  const done: SequenceDone[] = [];
  for await (const event of events) if (event.type === 'done') done[event.index] = event;
  return done;
}

/**
 * What a finished request answers when a sequence did not end normally (the first such decides): 408 for the
 * request timeout, 400 for a request the worker refused as one it cannot run, 500 for a worker's failure, 503
 * for a cancellation the client did not ask for (a shutdown).
 */
export function checkOutcome(done: readonly SequenceDone[], timeoutMs: number): void {
  for (const sequence of done) {
    if (sequence.finishReason === 'timeout') {
      throw new HttpError(
        408,
        'RequestTimeout',
        `generation took longer than the request timeout of ${timeoutMs} ms`,
      );
    }
    if (sequence.finishReason === 'error') {
      const message = sequence.error?.message ?? 'unknown error';
      if (sequence.error?.kind === 'invalid-request') throw new HttpError(400, 'BadRequest', message);
      throw new HttpError(500, 'InternalServerError', `generation failed: ${message}`);
    }
    if (sequence.finishReason === 'cancelled') {
      throw new HttpError(503, 'ServiceUnavailable', 'generation was cancelled');
    }
  }
}
