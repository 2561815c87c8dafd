import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OpenAiSampling } from '../../../schemas/openai-sampling.js';
import type { SequenceDone, SequenceSpec } from '../../scheduler/sequence-event.js';
import { clientGeneration } from '../generation/client-generation.js';
import { sendEventStream } from '../http/sse.js';
import { type LoadedModel, requireModel } from '../model-service.js';
import { type ChunkChoices, openAiChoices, openAiChunks } from './openai-answer.js';
import type { OpenAiRouteOptions } from './openai-route-options.js';

/** What sets one /v1 generation route apart: its prompts and the words of its answer. */
export interface OpenAiGenerationRoute<AnswerObject extends string, ChunkObject extends string, Own, Delta> {
  /** `cmpl`, `chatcmpl`: the answer's id is this, a dash and the request id. */
  idPrefix: string;
  /** The `object` of a whole answer and of a stream's chunks. */
  object: AnswerObject;
  chunkObject: ChunkObject;
  /** The request's sequences, their prompts checked against the model's limits. */
  sequences(model: LoadedModel): SequenceSpec[];
  /** A finished sequence's own fields in a whole answer's choice. */
  choice(done: SequenceDone): Own;
  /** How a stream's chunks word their choices; a new one per stream (it may hold state). */
  chunkChoices(): ChunkChoices<Delta>;
}

/**
 * The body of both /v1 generation routes: the model (503 while it loads), the request's sequences, the
 * generation (admission, timeout, cancellation), then the answer streamed as Server-Sent Events with
 * `stream: true`, else whole once every sequence is done.
 */
export async function answerOpenAiGeneration<
  AnswerObject extends string,
  ChunkObject extends string,
  Own extends object,
  Delta extends object,
>(
  request: FastifyRequest,
  reply: FastifyReply,
  body: Pick<OpenAiSampling, 'stream' | 'stream_options'>,
  options: OpenAiRouteOptions,
  route: OpenAiGenerationRoute<AnswerObject, ChunkObject, Own, Delta>,
) {
  const model = requireModel(request.server.endpoint.model);
  const events = clientGeneration(request, reply, route.sequences(model), {
    scheduler: model.scheduler,
    timeoutMs: options.requestTimeoutMs,
    streamTokens: body.stream === true,
  });
  const created = Math.floor(Date.now() / 1000);
  const head = <O extends string>(object: O) => ({
    id: `${route.idPrefix}-${request.id}`,
    object,
    created,
    model: options.modelName,
  });
  if (body.stream) {
    const chunks = openAiChunks(events, head(route.chunkObject), route.chunkChoices(), {
      includeUsage: body.stream_options?.include_usage === true,
      timeoutMs: options.requestTimeoutMs,
    });
    return sendEventStream(reply, chunks);
  }
  const answer = await openAiChoices(events, options.requestTimeoutMs, route.choice);
  return { ...head(route.object), ...answer };
}
