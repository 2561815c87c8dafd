import type { OpenAiSampling } from '../../../schemas/openai-sampling.js';
import type { SamplingParams, StoppingParams } from '../../engine/generation-params.js';
import type { ModelConfig } from '../../engine/model-config.js';
import { withModelDefaults } from '../generation/generation-parameters.js';

/** OpenAI treats `null` as "not given". */
const given = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/**
 * OpenAI parameters → the engine's sampling and stopping, over the model's defaults from
 * generation_config.json. OpenAI samples (temperature 1) unless temperature is 0, whatever generation_config's
 * do_sample says, where /score is greedy unless do_sample.
 */
export function openAiGenerationOptions(
  params: OpenAiSampling,
  maxTokens: number | undefined,
  defaults: ModelConfig['generationDefaults'],
): { sampling: SamplingParams; stopping: StoppingParams } {
  return withModelDefaults(
    {
      maxNewTokens: maxTokens,
      doSample: true,
      temperature: given(params.temperature),
      topP: given(params.top_p),
      topK: given(params.top_k),
      repetitionPenalty: given(params.repetition_penalty),
      presencePenalty: given(params.presence_penalty),
      frequencyPenalty: given(params.frequency_penalty),
      seed: given(params.seed),
      stop: given(params.stop),
      ignoreEos: given(params.ignore_eos),
    },
    defaults,
  );
}
