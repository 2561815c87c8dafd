import { z } from 'zod';

/**
 * The generation parameters of POST /score, as the Azure ML Llama-2 container names them. The object is loose:
 * unknown parameters are ignored as Azure does (the route names them in `x-ms-ignored-parameters`). `null`
 * means "not given" for every one, as Python callers send None.
 */
export const scoreParametersSchema = z
  .looseObject({
    max_new_tokens: z
      .number()
      .int()
      .min(1)
      .nullish()
      .describe(
        'Tokens to generate (default 16, or generation_config.json); prompt + this must fit the context',
      ),
    max_gen_len: z.number().int().min(1).nullish().describe('Alias of max_new_tokens'),
    max_length: z
      .number()
      .int()
      .min(2)
      .nullish()
      .describe(
        'Hugging Face’s total length: prompt tokens + new tokens. Each prompt gets max_length minus its own ' +
          'tokens as max_new_tokens; max_new_tokens or max_gen_len win when given',
      ),
    temperature: z.number().min(0).nullish().describe('0 = greedy'),
    top_p: z.number().gt(0).lte(1).nullish().describe('Nucleus sampling mass, (0, 1]; 1 = off'),
    top_k: z.number().int().min(-1).nullish().describe('0 or -1 = off, else keep the k most likely tokens'),
    do_sample: z.boolean().nullish().describe('false = greedy whatever temperature says (default false)'),
    return_full_text: z
      .boolean()
      .nullish()
      .describe('true (default): the prompt verbatim, then the continuation; false: the continuation only'),
    stop: z
      .union([z.string().min(1), z.array(z.string().min(1)).max(16)])
      .nullish()
      .describe('The text ends before the first of these strings'),
    ignore_eos: z.boolean().nullish().describe('Keep generating past end-of-sequence until max_new_tokens'),
    repetition_penalty: z.number().gt(0).nullish().describe('> 0; 1 = off'),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    seed: z.number().int().nullish().describe('Same seed + same request = same text'),
    n: z.literal(1).nullish().describe('Only 1 is supported'),
    best_of: z.literal(1).nullish().describe('Only 1 is supported'),
  })
  .meta({ id: 'ScoreParameters' });

export type ScoreParameters = z.output<typeof scoreParametersSchema>;

/** The parameter names this server reads; anything else in the object is reported as ignored. */
export const KNOWN_SCORE_PARAMETERS: ReadonlySet<string> = new Set(Object.keys(scoreParametersSchema.shape));
