import type { ChatMessage } from '../../../schemas/chat-message.js';
import { errorResponseSchema } from '../../../schemas/error.js';
import { type ScoreRequest, scoreRequestSchema } from '../../../schemas/score-request.js';
import { type ScoreResponse, scoreResponseSchema } from '../../../schemas/score-response.js';
import type { SequenceDone, SequenceSpec } from '../../scheduler/sequence-event.js';
import type { App } from '../app.js';
import { chatPromptIds } from '../generation/chat-template.js';
import { clientGeneration } from '../generation/client-generation.js';
import { checkOutcome, finishedSequences } from '../generation/generation-outcome.js';
import { checkContext, checkMaxNewTokens, checkPromptCount } from '../generation/prompt-limits.js';
import { HttpError } from '../http/http-error.js';
import { type LoadedModel, requireModel } from '../model-service.js';
import {
  type GenerationOptions,
  type GivenScoreParameters,
  givenParameters,
  ignoredParameters,
  resolveGenerationOptions,
} from './score-parameters.js';

export interface ScoreRouteOptions {
  /** Most prompts in one request. */
  maxPrompts: number;
  /** A request still generating after this many ms answers 408 and its sequences are dropped. */
  requestTimeoutMs: number;
}

/** The three request forms, with where each keeps its prompts and parameters (for error messages). */
type ScoreInput = { params: GivenScoreParameters; paramsField: string } & (
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
      params: givenParameters(body.params),
      paramsField: 'params',
    };
  }
  const params = { params: givenParameters(data.parameters), paramsField: 'input_data.parameters' };
  const input = data.input_string;
  if (input.every((item): item is string => typeof item === 'string')) {
    return { form: 'records', prompts: input, promptsField: 'input_data.input_string', ...params };
  }
  return { form: 'chat', conversation: input as ChatMessage[], ...params };
}

/**
 * Each prompt as token ids with the tokens it may add, checked against the model's context with both numbers
 * in the message. With `max_length` (prompt + new tokens, as Hugging Face counts it) each prompt gets what its
 * own length leaves.
 */
function sequencesOf(
  input: ScoreInput,
  model: LoadedModel,
  options: GenerationOptions,
  maxPrompts: number,
): { promptIds: number[]; maxNewTokens: number }[] {
  const context = model.config.contextTokens;
  const { maxLength } = options;
  if (maxLength === undefined)
    checkMaxNewTokens(`${input.paramsField}.max_new_tokens`, options.stopping.maxNewTokens, context);
  const budget = (field: string, promptIds: number[]) => {
    const maxNewTokens =
      maxLength === undefined ? options.stopping.maxNewTokens : maxLength - promptIds.length;
    if (maxNewTokens < 1) {
      throw HttpError.badField(
        `${input.paramsField}.max_length`,
        `${maxLength} counts the prompt, and ${field} already has ${promptIds.length} tokens`,
      );
    }
    checkContext(field, promptIds.length, maxNewTokens, context);
    return { promptIds, maxNewTokens };
  };
  if (input.form === 'chat') {
    return [budget('input_data.input_string', chatPromptIds(model.tokenizer, input.conversation))];
  }
  checkPromptCount(input.promptsField, input.prompts.length, maxPrompts);
  return input.prompts.map((prompt, index) =>
    budget(`${input.promptsField}[${index}]`, model.tokenizer.encode(prompt)),
  );
}

/** The answer in the shape of the request's form: one record, a bare list, or the chat output. */
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
        description:
          'The Azure ML Llama-2 scoring contract. Form 1 (`input_data.input_string` + `parameters`) answers one ' +
          'record keyed by prompt index; form 2 (a bare list + `params`) a bare list; a chat conversation as ' +
          '`input_string` answers `{"output": ...}`. Unknown parameters are named in `x-ms-ignored-parameters`; ' +
          '`null` means not given; `max_length` counts the prompt.',
        body: scoreRequestSchema,
        response: {
          200: scoreResponseSchema,
          400: errorResponseSchema,
          401: errorResponseSchema,
          408: errorResponseSchema,
          413: errorResponseSchema,
          415: errorResponseSchema,
          429: errorResponseSchema,
          500: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const model = requireModel(app.endpoint.model);
      const input = readInput(request.body);
      const ignored = ignoredParameters(input.params);
      if (ignored.length > 0) reply.header('x-ms-ignored-parameters', ignored.join(','));
      const generation = resolveGenerationOptions(input.params, model.config.generationDefaults);
      const specs: SequenceSpec[] = sequencesOf(input, model, generation, options.maxPrompts).map(
        ({ promptIds, maxNewTokens }) => ({
          promptIds,
          sampling: generation.sampling,
          stopping: { ...generation.stopping, maxNewTokens },
        }),
      );

      // Admission (429), the request timeout, and cancellation when the client goes away.
      const events = clientGeneration(request, reply, specs, {
        scheduler: model.scheduler,
        timeoutMs: options.requestTimeoutMs,
        streamTokens: false,
      });
      const done = await finishedSequences(events);
      checkOutcome(done, options.requestTimeoutMs);
      return responseOf(input, done, generation.returnFullText);
    },
  );
}
