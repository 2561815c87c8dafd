import { z } from 'zod';

/**
 * The request fields /v1/completions and /v1/chat/completions share: OpenAI's sampling and stopping
 * parameters plus vLLM's extras. Fields OpenAI defines but this server does not implement (logprobs,
 * logit_bias, ...) and unknown fields are ignored, as /score ignores unknown parameters. `null` means
 * "not given", as the OpenAI API treats it.
 */
export const openAiSamplingShape = {
  model: z
    .string()
    .optional()
    .describe('Any name: the server answers with the one model it serves (see GET /v1/models)'),
  temperature: z.number().min(0).max(2).nullish().describe('0 = greedy; default 1'),
  top_p: z.number().gt(0).lte(1).nullish().describe('Nucleus sampling mass, (0, 1]; 1 = off'),
  n: z.literal(1).nullish().describe('Only 1 is supported'),
  stop: z
    .union([z.string(), z.array(z.string()).max(16)])
    .nullish()
    .describe('The text ends before the first of these strings; they never appear in a streamed chunk'),
  seed: z.number().int().nullish().describe('Same seed + same request = same text'),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  user: z.string().optional().describe('Accepted and ignored'),
  stream: z
    .boolean()
    .nullish()
    .describe('true: Server-Sent Events, one chunk per token, then `data: [DONE]`'),
  stream_options: z
    .object({ include_usage: z.boolean().optional() })
    .nullish()
    .describe('include_usage: a last chunk with `usage` and no choices'),
  top_k: z
    .number()
    .int()
    .min(-1)
    .nullish()
    .describe('vLLM extra: 0 or -1 = off, else the k most likely tokens'),
  repetition_penalty: z.number().gt(0).nullish().describe('vLLM extra: > 0; 1 = off'),
  ignore_eos: z.boolean().nullish().describe('vLLM extra: keep generating past end-of-sequence'),
};

/** The shared fields as one object type, for the code that maps them onto the engine's parameters. */
export const openAiSamplingSchema = z.object(openAiSamplingShape);

export type OpenAiSampling = z.output<typeof openAiSamplingSchema>;
