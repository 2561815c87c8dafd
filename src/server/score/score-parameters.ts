import type { ScoreParameters } from '../../../schemas/score-parameters.js';
import { KNOWN_SCORE_PARAMETERS } from '../../../schemas/score-parameters.js';
import type { SamplingParams, StoppingParams } from '../../engine/generation-params.js';
import type { ModelConfig } from '../../engine/model-config.js';
import { withModelDefaults } from '../generation/generation-parameters.js';

export interface GenerationOptions {
  sampling: SamplingParams;
  stopping: StoppingParams;
  /** Prompt text, verbatim, before the continuation. */
  returnFullText: boolean;
}

/** /score's parameters → the engine's sampling and stopping: greedy unless `do_sample`. */
export function resolveGenerationOptions(
  params: ScoreParameters | undefined,
  defaults: ModelConfig['generationDefaults'],
): GenerationOptions {
  const p = params ?? {};
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
  return { sampling, stopping, returnFullText: p.return_full_text ?? true };
}

/** Parameter names the server does not read (reported in `x-ms-ignored-parameters`). */
export function ignoredParameters(params: ScoreParameters | undefined): string[] {
  return Object.keys(params ?? {}).filter((name) => !KNOWN_SCORE_PARAMETERS.has(name));
}
