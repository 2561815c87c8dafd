import type { ScoreParameters } from '../../../schemas/score-parameters.js';
import { KNOWN_SCORE_PARAMETERS } from '../../../schemas/score-parameters.js';
import type { SamplingParams, StoppingParams } from '../../engine/generation-params.js';
import type { ModelConfig } from '../../engine/model-config.js';
import { DEFAULT_MAX_NEW_TOKENS } from '../../engine/request-limits.js';

export interface GenerationOptions {
  sampling: SamplingParams;
  stopping: StoppingParams;
  /** Prompt text, verbatim, before the continuation. */
  returnFullText: boolean;
}

/** Request parameters over the model's generation defaults; ranges were checked by the schema. */
export function resolveGenerationOptions(
  params: ScoreParameters | undefined,
  defaults: ModelConfig['generationDefaults'],
): GenerationOptions {
  const p = params ?? {};
  const temperature = p.temperature ?? defaults.temperature ?? 1;
  const topK = p.top_k ?? defaults.topK ?? 0;
  return {
    sampling: {
      // temperature 0 means greedy whatever do_sample says.
      doSample: (p.do_sample ?? defaults.doSample ?? false) && temperature > 0,
      temperature,
      topP: p.top_p ?? defaults.topP ?? 1,
      topK: Math.max(topK, 0),
      repetitionPenalty: p.repetition_penalty ?? defaults.repetitionPenalty ?? 1,
      presencePenalty: p.presence_penalty ?? 0,
      frequencyPenalty: p.frequency_penalty ?? 0,
      seed: p.seed,
    },
    stopping: {
      maxNewTokens: p.max_new_tokens ?? p.max_gen_len ?? defaults.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
      stop: p.stop === undefined ? [] : typeof p.stop === 'string' ? [p.stop] : p.stop,
      ignoreEos: p.ignore_eos ?? false,
    },
    returnFullText: p.return_full_text ?? true,
  };
}

/** Parameter names the server does not read (reported in `x-ms-ignored-parameters`). */
export function ignoredParameters(params: ScoreParameters | undefined): string[] {
  return Object.keys(params ?? {}).filter((name) => !KNOWN_SCORE_PARAMETERS.has(name));
}
