/**
 * What one sequence asks of the engine: how to pick each next token (sampling) and when to stop.
 * These are plain data so they cross the worker-thread boundary unchanged.
 */
export interface SamplingParams {
  /** false = greedy, whatever temperature says. */
  doSample: boolean;
  /** 0 = greedy. */
  temperature: number;
  /** (0, 1]; 1 = off. */
  topP: number;
  /** 0 = off. */
  topK: number;
  /** > 0; 1 = off. Divides positive logits / multiplies negative ones of tokens already seen (prompt and output). */
  repetitionPenalty: number;
  /** [-2, 2]; subtracted once from logits of tokens already generated. */
  presencePenalty: number;
  /** [-2, 2]; subtracted per occurrence from logits of tokens already generated. */
  frequencyPenalty: number;
  /** Same seed + same request = same text. Absent: a fresh random seed. */
  seed?: number;
}

export interface StoppingParams {
  /** Exact count unless EOS or a stop string ends the sequence first. */
  maxNewTokens: number;
  /** The text ends before the first occurrence of any of these. */
  stop: string[];
  /** Keep generating past EOS until maxNewTokens. */
  ignoreEos: boolean;
}

export interface GenerationRequest {
  /** Unique per sequence within one worker. */
  id: string;
  /** Token ids of the prompt, BOS included where the model wants one. */
  promptIds: number[];
  sampling: SamplingParams;
  stopping: StoppingParams;
}

export const GREEDY: SamplingParams = {
  doSample: false,
  temperature: 0,
  topP: 1,
  topK: 0,
  repetitionPenalty: 1,
  presencePenalty: 0,
  frequencyPenalty: 0,
};
