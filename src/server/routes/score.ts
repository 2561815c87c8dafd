import type { ChatMessage } from '../../../schemas/chat-message.js';
import { errorResponseSchema } from '../../../schemas/error.js';
import type { ScoreParameters } from '../../../schemas/score-parameters.js';
import { type ScoreRequest, scoreRequestSchema } from '../../../schemas/score-request.js';
import { type ScoreResponse, scoreResponseSchema } from '../../../schemas/score-response.js';
import type { SequenceDone, SequenceSpec } from '../../scheduler/sequence-event.js';
import type { App, GenerationStats } from '../app.js';
import { chatPromptIds } from '../chat-template.js';
import { clientGeneration } from '../client-generation.js';
import {
  type GenerationOptions,
  ignoredParameters,
  resolveGenerationOptions,
} from '../generation-options.js';
import { HttpError } from '../http-error.js';
import type { LoadedModel } from '../model-service.js';

export interface ScoreRouteOptions {
  /** Most prompts in one request. */
  maxPrompts: number;
  /** A request still generating after this many ms answers 408 and its sequences are dropped. */
  requestTimeoutMs: number;
}

/** The three request forms, with where each keeps its prompts and parameters (for error messages). */
type ScoreInput = { params?: ScoreParameters; paramsField: string } & (
  | { form: 'records' | 'list'; prompts: string[]; promptsField: string }
  | { form: 'chat'; conversation: ChatMessage[] }
);

function readInput(body: ScoreRequest): ScoreInput {
  const data = body.input_data;
  if (Array.isArray(data)) {
    return {
      form: 'list',
      prompts: data,
      promptsField: 'input_data',
      params: body.params,
      paramsField: 'params',
    };
  }
  const params = { params: data.parameters, paramsField: 'input_data.parameters' };
  const input = data.input_string;
  if (input.every((item): item is string => typeof item === 'string')) {
    return { form: 'records', prompts: input, promptsField: 'input_data.input_string', ...params };
  }
  return { form: 'chat', conversation: input as ChatMessage[], ...params };
}

/** Each prompt as token ids, checked against the model's context with both numbers in the message. */
function promptIdsOf(input: ScoreInput, model: LoadedModel, options: GenerationOptions, maxPrompts: number) {
  const context = model.config.contextTokens;
  const maxNewTokens = options.stopping.maxNewTokens;
  if (maxNewTokens >= context) {
    throw HttpError.badField(
      `${input.paramsField}.max_new_tokens`,
      `${maxNewTokens} does not fit the model's context of ${context} tokens (prompt tokens + max_new_tokens)`,
    );
  }
  if (input.form === 'chat') {
    const ids = chatPromptIds(model.tokenizer, input.conversation);
    checkContext('input_data.input_string', ids.length, maxNewTokens, context);
    return [ids];
  }
  if (input.prompts.length > maxPrompts) {
    throw HttpError.badField(
      input.promptsField,
      `has ${input.prompts.length} prompts; at most ${maxPrompts} are allowed`,
    );
  }
  return input.prompts.map((prompt, index) => {
    const ids = model.tokenizer.encode(prompt);
    checkContext(`${input.promptsField}[${index}]`, ids.length, maxNewTokens, context);
    return ids;
  });
}

export function checkContext(
  field: string,
  promptTokens: number,
  maxNewTokens: number,
  context: number,
): void {
  if (promptTokens + maxNewTokens > context) {
    throw HttpError.badField(
      field,
      `${promptTokens} prompt tokens + ${maxNewTokens} max_new_tokens = ${promptTokens + maxNewTokens}, ` +
        `more than the model's context of ${context} tokens`,
    );
  }
}

/** A finished request's outcome: the first sequence that did not end normally decides the error. */
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
      throw new HttpError(
        500,
        'InternalServerError',
        `generation failed: ${sequence.error ?? 'unknown error'}`,
      );
    }
    if (sequence.finishReason === 'cancelled') {
      throw new HttpError(503, 'ServiceUnavailable', 'generation was cancelled');
    }
  }
}

export function statsOf(done: readonly SequenceDone[]): GenerationStats {
  const firstTokens = done.flatMap((d) => (d.firstTokenMs === undefined ? [] : [d.firstTokenMs]));
  return {
    promptTokens: done.reduce((sum, d) => sum + d.promptTokens, 0),
    generatedTokens: done.reduce((sum, d) => sum + d.generatedTokens, 0),
    queueMs: Math.max(0, ...done.map((d) => d.queueMs)),
    timeToFirstTokenMs: firstTokens.length > 0 ? Math.min(...firstTokens) : undefined,
  };
}

function responseOf(
  input: ScoreInput,
  done: readonly SequenceDone[],
  returnFullText: boolean,
): ScoreResponse {
  if (input.form === 'chat') return { output: done[0]!.text.trim() };
  const texts = input.prompts.map((prompt, i) => (returnFullText ? prompt + done[i]!.text : done[i]!.text));
  if (input.form === 'list') return texts;
  return [Object.fromEntries(texts.map((text, i) => [String(i), text]))];
}

/** POST /score: the Azure ML text-generation contract, mapped onto the route-independent scheduler. */
export function registerScoreRoute(app: App, options: ScoreRouteOptions): void {
  app.post(
    '/score',
    {
      schema: {
        summary: 'Azure ML text generation: prompts (two forms) or one Llama-2 chat conversation',
        security: [{ bearerAuth: [] }, {}],
        body: scoreRequestSchema,
        response: {
          200: scoreResponseSchema,
          400: errorResponseSchema,
          401: errorResponseSchema,
          408: errorResponseSchema,
          413: errorResponseSchema,
          415: errorResponseSchema,
          429: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const { model: service, admission } = app.endpoint;
      if (service === undefined) throw new HttpError(503, 'ServiceUnavailable', 'no model is configured');
      const model = service.require();
      const input = readInput(request.body);
      const ignored = ignoredParameters(input.params);
      if (ignored.length > 0) reply.header('x-ms-ignored-parameters', ignored.join(','));
      const generation = resolveGenerationOptions(input.params, model.config.generationDefaults);
      const specs: SequenceSpec[] = promptIdsOf(input, model, generation, options.maxPrompts).map(
        (promptIds) => ({
          promptIds,
          sampling: generation.sampling,
          stopping: generation.stopping,
        }),
      );

      // Admission (429), the request timeout, and cancellation when the client goes away.
      const events = clientGeneration(specs, {
        admission,
        scheduler: model.scheduler,
        response: reply.raw,
        timeoutMs: options.requestTimeoutMs,
      });
      const done: SequenceDone[] = [];
      for await (const event of events) if (event.type === 'done') done[event.index] = event;
      request.generation = statsOf(done);
      checkOutcome(done, options.requestTimeoutMs);
      return responseOf(input, done, generation.returnFullText);
    },
  );
}
