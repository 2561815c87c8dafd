import type { SamplingParams, StoppingParams } from '../../engine/generation-params.js';
import type { ModelConfig } from '../../engine/model-config.js';
import { DEFAULT_MAX_NEW_TOKENS } from '../../engine/request-limits.js';

/**
 * A request's generation parameters in the engine's words, whichever API named them; each is absent when the
 * request did not give it. /score and /v1 each translate their own parameters into this once.
 */
export interface RequestedGeneration {
  maxNewTokens?: number;
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  stop?: string | string[];
  ignoreEos?: boolean;
}

/** The request's parameters over the model's generation defaults; ranges were checked by the schemas. */
export function withModelDefaults(
  requested: RequestedGeneration,
  defaults: ModelConfig['generationDefaults'],
): { sampling: SamplingParams; stopping: StoppingParams } {
  const temperature = requested.temperature ?? defaults.temperature ?? 1;
  const topK = requested.topK ?? defaults.topK ?? 0;
  const stop = requested.stop;
  return {
    sampling: {
      // temperature 0 means greedy whatever do_sample says.
      doSample: (requested.doSample ?? defaults.doSample ?? false) && temperature > 0,
      temperature,
      topP: requested.topP ?? defaults.topP ?? 1,
      topK: Math.max(topK, 0),
      repetitionPenalty: requested.repetitionPenalty ?? defaults.repetitionPenalty ?? 1,
      presencePenalty: requested.presencePenalty ?? 0,
      frequencyPenalty: requested.frequencyPenalty ?? 0,
      seed: requested.seed,
    },
    stopping: {
      maxNewTokens: requested.maxNewTokens ?? defaults.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      stop: stop === undefined ? [] : typeof stop === 'string' ? [stop] : stop,
      ignoreEos: requested.ignoreEos ?? false,
    },
  };
}
