import type { StreamDecoder } from '../tokenizer/tokenizer.js';
import type { GenerationRequest } from './generation-params.js';
import { applyPenalties } from './logits-processors.js';
import { type Rng, randomSeed, seededRng } from './rng.js';
import { sampleToken } from './sampler.js';
import type { FinishReason } from './sequence-result.js';
import { StopStringMatcher } from './stop-strings.js';
import { TokenHistory } from './token-history.js';

/** What accepting one generated token produced: text safe to stream, and the finish reason if it ended. */
export interface TokenOutcome {
  text: string;
  finishReason?: FinishReason;
}

/**
 * One sequence's generation state, independent of where its KV cache lives: its own sampling params, RNG,
 * penalties history, streaming detokenizer and stop strings.
 */
export class Sequence {
  readonly request: GenerationRequest;
  readonly generatedIds: number[] = [];
  private readonly history: TokenHistory;
  private readonly rng: Rng;
  private readonly eosIds: ReadonlySet<number>;
  private readonly decoder: StreamDecoder;
  private readonly stopStrings: StopStringMatcher;

  constructor(request: GenerationRequest, eosIds: readonly number[], decoder: StreamDecoder) {
    this.request = request;
    this.history = new TokenHistory(request.promptIds);
    this.rng = seededRng(request.sampling.seed ?? randomSeed());
    this.eosIds = new Set(eosIds);
    this.decoder = decoder;
    this.stopStrings = new StopStringMatcher(request.stopping.stop);
  }

  /** The token the next decode step feeds: the last generated one. */
  get lastTokenId(): number {
    return this.generatedIds[this.generatedIds.length - 1]!;
  }

  /** The continuation released so far (cut before a stop string once one matched). */
  get text(): string {
    return this.stopStrings.releasedText;
  }

  /** Picks the next token from this sequence's logits row (penalised in place). */
  pickNext(logits: Float32Array): number {
    const { sampling } = this.request;
    applyPenalties(logits, sampling, this.history);
    return sampleToken(logits, sampling, this.rng);
  }

  /** Records a generated token and decides whether the sequence ends with it. */
  accept(tokenId: number): TokenOutcome {
    this.generatedIds.push(tokenId);
    this.history.addGenerated(tokenId);
    const { stopping } = this.request;
    const isEos = !stopping.ignoreEos && this.eosIds.has(tokenId);
    const pushed = this.stopStrings.push(isEos ? '' : this.decoder.push(tokenId));
    if (pushed.stopped) return { text: pushed.text, finishReason: 'stop' };
    if (!isEos && this.generatedIds.length < stopping.maxNewTokens) return { text: pushed.text };
    // The end: release the decoder's partial bytes and whatever was held back for stop strings.
    const last = this.stopStrings.push(this.decoder.flush());
    const text = pushed.text + last.text + this.stopStrings.finish();
    return { text, finishReason: isEos || last.stopped ? 'stop' : 'length' };
  }
}
