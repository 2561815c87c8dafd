import type { SamplingParams } from './generation-params.js';
import type { TokenHistory } from './token-history.js';

type PenaltyParams = Pick<SamplingParams, 'repetitionPenalty' | 'presencePenalty' | 'frequencyPenalty'>;

/**
 * Repetition penalty as in CTRL / Hugging Face: a seen token's logit is divided by the penalty when positive and
 * multiplied by it when negative, so a penalty above 1 always makes it less likely.
 */
function applyRepetitionPenalty(logits: Float32Array, penalty: number, history: TokenHistory): void {
  if (penalty === 1) return;
  for (const id of history.seen) {
    const logit = logits[id]!;
    logits[id] = logit > 0 ? logit / penalty : logit * penalty;
  }
}

/** OpenAI's presence and frequency penalties: subtract presence once and frequency × count per generated token. */
function applyPresenceFrequencyPenalty(
  logits: Float32Array,
  presence: number,
  frequency: number,
  history: TokenHistory,
): void {
  if (presence === 0 && frequency === 0) return;
  for (const [id, count] of history.generatedCounts) {
    logits[id] = logits[id]! - presence - frequency * count;
  }
}

/** Every logits processor a request asks for, in place, before the sampler. */
export function applyPenalties(logits: Float32Array, params: PenaltyParams, history: TokenHistory): void {
  applyRepetitionPenalty(logits, params.repetitionPenalty, history);
  applyPresenceFrequencyPenalty(logits, params.presencePenalty, params.frequencyPenalty, history);
}
