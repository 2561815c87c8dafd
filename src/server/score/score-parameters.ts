import type { ScoreParameters } from '../../../schemas/score-parameters.js';
import { KNOWN_SCORE_PARAMETERS } from '../../../schemas/score-parameters.js';
import type { SamplingParams, StoppingParams } from '../../engine/generation-params.js';
import type { ModelConfig } from '../../engine/model-config.js';
import { withModelDefaults } from '../generation/generation-parameters.js';

/** The parameters a request gave: `null` means "not given" (Python callers send None), as on /v1. */
export type GivenScoreParameters = { [K in keyof ScoreParameters]?: Exclude<ScoreParameters[K], null> };

export function givenParameters(params: ScoreParameters | null | undefined): GivenScoreParameters {
  return Object.fromEntries(Object.entries(params ?? {}).filter(([, value]) => value !== null));
}

export interface GenerationOptions {
  sampling: SamplingParams;
  stopping: StoppingParams;
  /**
   * Hugging Face's `max_length` (prompt + new tokens) when it decides the new tokens, i.e. neither
   * max_new_tokens nor max_gen_len was given: each prompt then gets max_length minus its own tokens.
   */
  maxLength?: number;
  /** Prompt text, verbatim, before the continuation. */
  returnFullText: boolean;
}

/** /score's parameters → the engine's sampling and stopping: greedy unless `do_sample`. */
export function resolveGenerationOptions(
  p: GivenScoreParameters,
  defaults: ModelConfig['generationDefaults'],
): GenerationOptions {
  const { sampling, stopping } = withModelDefaults(
    {
      maxNewTokens: p.max_new_tokens ?? p.max_gen_len,
      doSample: p.do_sample,
      temperature: p.temperature,
      topP: p.top_p,
      topK: p.top_k,
      repetitionPenalty: p.repetition_penalty,
      presencePenalty: p.presence_penalty,
      frequencyPenalty: p.frequency_penalty,
      seed: p.seed,
      stop: p.stop,
      ignoreEos: p.ignore_eos,
    },
    defaults,
  );
  const maxLength = p.max_new_tokens === undefined && p.max_gen_len === undefined ? p.max_length : undefined;
  return { sampling, stopping, maxLength, returnFullText: p.return_full_text ?? true };
}

/** Parameter names the server does not read (reported in `x-ms-ignored-parameters`). */
export function ignoredParameters(params: GivenScoreParameters): string[] {
  return Object.keys(params).filter((name) => !KNOWN_SCORE_PARAMETERS.has(name));
}
