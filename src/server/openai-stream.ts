import type { OpenAiErrorResponse } from '../../schemas/openai-error.js';
import type { OpenAiFinishReason, Usage } from '../../schemas/openai-usage.js';
import type { SequenceDone, SequenceEvent } from '../scheduler/sequence-event.js';
import type { GenerationStats } from './app.js';
import { HttpError } from './http-error.js';
import { openAiError } from './plugins/openai-errors.js';
import { checkOutcome, statsOf } from './routes/score.js';

/** How one OpenAI route words its chunks; `text` may return undefined to send nothing for that token. */
export interface ChunkFormat<T> {
  text(index: number, text: string): T | undefined;
  finish(index: number, reason: OpenAiFinishReason): T;
  usage(usage: Usage): T;
}

/** Where a request's token counts and timings go for its log line: the Fastify request. */
export interface StatsHolder {
  generation?: GenerationStats;
}

export interface OpenAiStreamOptions {
  includeUsage: boolean;
  timeoutMs: number;
  /** Gets the stats of every sequence that ended, however the stream ended. */
  request: StatsHolder;
}

/** Token counts of the finished sequences, summed. */
export function usageOf(done: readonly SequenceDone[]): Usage {
  const prompt = done.reduce((sum, d) => sum + d.promptTokens, 0);
  const completion = done.reduce((sum, d) => sum + d.generatedTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Why a finished sequence ended, in OpenAI's words; anything else (timeout, error, cancel) is an HttpError. */
export function finishReasonOf(done: SequenceDone, timeoutMs: number): OpenAiFinishReason {
  checkOutcome([done], timeoutMs);
  return done.finishReason === 'length' ? 'length' : 'stop';
}

/**
 * The chunks of a streamed completion: one per token with text (the worker already holds back partial UTF-8
 * characters and text that may begin a stop string), a last one per choice with its finish reason, then the
 * usage when asked. A sequence that times out or fails ends the stream with an OpenAI error object, which the
 * `openai` client raises; the other choices are then cancelled.
 */
export async function* openAiStream<T>(
  events: AsyncIterable<SequenceEvent>,
  format: ChunkFormat<T>,
  options: OpenAiStreamOptions,
): AsyncGenerator<T | OpenAiErrorResponse> {
  const done: SequenceDone[] = [];
  try {
    for await (const event of events) {
      if (event.type === 'token') {
        const chunk = event.text === '' ? undefined : format.text(event.index, event.text);
        if (chunk !== undefined) yield chunk;
        continue;
      }
      done.push(event);
      let reason: OpenAiFinishReason;
      try {
        reason = finishReasonOf(event, options.timeoutMs);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        yield openAiError(err);
        return;
      }
      yield format.finish(event.index, reason);
    }
  } finally {
    options.request.generation = statsOf(done);
  }
  if (options.includeUsage) yield format.usage(usageOf(done));
}

/** A non-streamed answer's sequences, in request order, once all are done (their stats go to the request). */
export async function finishedSequences(
  events: AsyncIterable<SequenceEvent>,
  request: StatsHolder,
): Promise<SequenceDone[]> {
  const done: SequenceDone[] = [];
  for await (const event of events) if (event.type === 'done') done[event.index] = event;
  request.generation = statsOf(done);
  return done;
}
