import type { OpenAiSampling } from '../../../schemas/openai-sampling.js';
import type { SamplingParams, StoppingParams } from '../../engine/generation-params.js';
import type { ModelConfig } from '../../engine/model-config.js';
import { resolveGenerationOptions } from '../score/score-parameters.js';

/** OpenAI treats `null` as "not given". */
const given = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/**
 * OpenAI parameters → the engine's sampling and stopping, through the same resolution /score uses (model
 * defaults from generation_config.json included). The difference is OpenAI's default: it samples (temperature
 * 1) unless temperature is 0, where /score is greedy unless do_sample.
 */
export function openAiGenerationOptions(
  params: OpenAiSampling,
  maxTokens: number | undefined,
  defaults: ModelConfig['generationDefaults'],
): { sampling: SamplingParams; stopping: StoppingParams } {
  const { sampling, stopping } = resolveGenerationOptions(
    {
      max_new_tokens: maxTokens,
      temperature: given(params.temperature),
      top_p: given(params.top_p),
      top_k: given(params.top_k),
      do_sample: true,
      stop: given(params.stop),
      ignore_eos: given(params.ignore_eos),
      repetition_penalty: given(params.repetition_penalty),
      presence_penalty: given(params.presence_penalty),
      frequency_penalty: given(params.frequency_penalty),
      seed: given(params.seed),
    },
    defaults,
  );
  return { sampling, stopping };
}
