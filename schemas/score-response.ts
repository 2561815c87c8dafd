import { z } from 'zod';

/** Form 1 answers one record keyed by prompt index; form 2 a bare list; the chat form the assistant text. */
export const scoreResponseSchema = z
  .union([
    z.array(z.record(z.string(), z.string())).describe('Form 1: [{"0": text, "1": text, ...}]'),
    z.array(z.string()).describe('Form 2: [text, ...]'),
    z.object({ output: z.string() }).describe('Chat form: the assistant text only'),
  ])
  .meta({
    id: 'ScoreResponse',
    description: 'The generated texts, in the shape of the request form',
    examples: [
      [
        {
          '0': 'I believe the meaning of life is to be happy.',
          '1': 'Once upon a time, there was a dragon.',
        },
      ],
      ['I believe the meaning of life is'],
      { output: 'Blue.' },
    ],
  });

export type ScoreResponse = z.output<typeof scoreResponseSchema>;
