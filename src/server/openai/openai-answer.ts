import type { OpenAiErrorResponse } from '../../../schemas/openai-error.js';
import type { OpenAiFinishReason, Usage } from '../../../schemas/openai-usage.js';
import type { SequenceDone, SequenceEvent } from '../../scheduler/sequence-event.js';
import { checkOutcome, finishedSequences } from '../generation/generation-outcome.js';
import { HttpError } from '../http/http-error.js';
import { openAiError } from './openai-errors.js';

/**
 * The answers of the /v1 generation routes, whole or streamed. Both routes word a choice in their own fields
 * (`text`, `message`, `delta`); the index, finish reason, logprobs, usage and the error handling are here.
 */

/** Token counts of the finished sequences, summed. */
function usageOf(done: readonly SequenceDone[]): Usage {
  const prompt = done.reduce((sum, d) => sum + d.promptTokens, 0);
  const completion = done.reduce((sum, d) => sum + d.generatedTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Why a finished sequence ended, in OpenAI's words; anything else (timeout, error, cancel) is an HttpError. */
function finishReasonOf(done: SequenceDone, timeoutMs: number): OpenAiFinishReason {
  checkOutcome([done], timeoutMs);
  return done.finishReason === 'length' ? 'length' : 'stop';
}

/** A non-streamed answer's choices, in request order, and its usage, once every sequence is done. */
export async function openAiChoices<Own extends object>(
  events: AsyncIterable<SequenceEvent>,
  timeoutMs: number,
  own: (done: SequenceDone) => Own,
): Promise<{
  choices: (Own & { index: number; finish_reason: OpenAiFinishReason; logprobs: null })[];
  usage: Usage;
}> {
  const done = await finishedSequences(events);
  return {
    choices: done.map((d) => ({
      index: d.index,
      ...own(d),
      finish_reason: finishReasonOf(d, timeoutMs),
      logprobs: null,
    })),
    usage: usageOf(done),
  };
}

/** How a route words the choices of its stream's chunks. */
export interface ChunkChoices<Own> {
  /** A token's text as the choice's own fields; undefined sends no chunk for that token. */
  text(text: string): Own | undefined;
  /** The own fields of a choice's last chunk, the one with its finish reason. */
  finish: Own;
  /** The own fields of a chunk for choice 0 sent before any token (chat's role). */
  opening?: Own;
}

export interface OpenAiChunksOptions {
  /** `stream_options.include_usage`: every chunk has `usage: null`, and a last one the usage. */
  includeUsage: boolean;
  timeoutMs: number;
}

export type OpenAiChunk<Head, Own> = Head & {
  choices: (Own & { index: number; finish_reason: OpenAiFinishReason | null; logprobs: null })[];
  usage?: Usage | null;
};

/**
 * The chunks of a streamed answer: one per token with text (the worker already holds back partial UTF-8
 * characters and text that may begin a stop string), a last one per choice with its finish reason, then the
 * usage when asked. A sequence that times out or fails ends the stream with an OpenAI error object, which the
 * `openai` client raises; the other choices are then cancelled.
 */
export async function* openAiChunks<Head extends object, Own extends object>(
  events: AsyncIterable<SequenceEvent>,
  head: Head,
  choices: ChunkChoices<Own>,
  options: OpenAiChunksOptions,
): AsyncGenerator<OpenAiChunk<Head, Own> | OpenAiErrorResponse> {
  const chunk = (
    index: number,
    own: Own,
    finishReason: OpenAiFinishReason | null = null,
  ): OpenAiChunk<Head, Own> => ({
    ...head,
    choices: [{ index, ...own, finish_reason: finishReason, logprobs: null }],
    ...(options.includeUsage ? { usage: null } : {}),
  });
  if (choices.opening) yield chunk(0, choices.opening);
  const done: SequenceDone[] = [];
  for await (const event of events) {
    if (event.type === 'token') {
      const own = event.text === '' ? undefined : choices.text(event.text);
      if (own !== undefined) yield chunk(event.index, own);
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
    yield chunk(event.index, choices.finish, reason);
  }
  if (options.includeUsage) yield { ...head, choices: [], usage: usageOf(done) };
}
