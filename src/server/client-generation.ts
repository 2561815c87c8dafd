import type { ServerResponse } from 'node:http';
import type { Admission } from '../scheduler/admission.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { SequenceEvent, SequenceSpec } from '../scheduler/sequence-event.js';
import { HttpError } from './http-error.js';

export interface ClientGenerationOptions {
  admission: Admission;
  scheduler: Scheduler;
  /** The HTTP response: its early 'close' means the client went away. */
  response: ServerResponse;
  /** Every sequence still running after this many ms ends with finish reason 'timeout'. */
  timeoutMs: number;
}

/**
 * One HTTP request's generation: admitted (429 with Retry-After when every slot is taken) before anything
 * starts, cancelled when the client goes away before its answer ended, or when the timeout passes. The slot
 * is released when the events end or the response closes, whichever comes first, so a stream whose
 * iteration never started (the client left at once) does not hold it either.
 */
export function clientGeneration(
  specs: readonly SequenceSpec[],
  { admission, scheduler, response, timeoutMs }: ClientGenerationOptions,
): AsyncIterableIterator<SequenceEvent> {
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
  response.once('close', () => {
    if (!response.writableEnded) clientGone.abort();
    release();
  });
  const events = scheduler.generate(specs, { signal: clientGone.signal, timeoutMs });
  return releasing(events, release);
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
