import type { SamplingParams } from './generation-params.js';
import type { Rng } from './rng.js';

type SamplerParams = Pick<SamplingParams, 'doSample' | 'temperature' | 'topK' | 'topP'>;

/** do_sample false, temperature 0 and top_k 1 all mean: take the most likely token. */
export function isGreedy(params: SamplerParams): boolean {
  return !params.doSample || params.temperature === 0 || params.topK === 1;
}

/** The index of the largest logit (the lowest index on ties, as torch.argmax). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

const INDEX_SPAN = 2 ** 17;

/**
 * `indices` ordered by value descending, then index ascending. A comparator sort of 32000 entries takes
 * ~10 ms; packing each float's order-preserving bits and its index into one double and sorting a Float64Array
 * natively takes a quarter of that.
 */
export function sortIndicesDesc(values: Float32Array, indices: ArrayLike<number>): number[] {
  if (values.length > INDEX_SPAN) {
    return Array.from(indices).sort((a, b) => values[b]! - values[a]! || a - b);
  }
  const bits = new Uint32Array(Float32Array.from(indices, (i) => values[i]!).buffer);
  const keys = new Float64Array(indices.length);
  for (let n = 0; n < indices.length; n++) {
    const b = bits[n]!;
    // Negative floats order backwards as integers: flip them; set the sign bit on positives.
    const ordered = b & 0x8000_0000 ? ~b >>> 0 : (b | 0x8000_0000) >>> 0;
    keys[n] = ordered * INDEX_SPAN + (INDEX_SPAN - 1 - indices[n]!);
  }
  keys.sort();
  return Array.from(keys.reverse(), (key) => INDEX_SPAN - 1 - (key % INDEX_SPAN));
}

/** The k largest entries' indices, best first, ties by index: a bounded heap for small k, else a sort. */
export function topKIndices(values: Float32Array, k: number): number[] {
  if (k * 16 >= values.length) return sortIndicesDesc(values, Array.from(values.keys())).slice(0, k);
  // `a` ranks below `b`: lower value, or equal value and higher index.
  const below = (a: number, b: number) => values[a]! < values[b]! || (values[a] === values[b] && a > b);
  // Min-heap: the root is the lowest-ranked of the k kept so far.
  const heap: number[] = [];
  for (let index = 0; index < values.length; index++) {
    if (heap.length < k) {
      heap.push(index);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!below(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (below(heap[0]!, index)) {
      heap[0] = index;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        let lowest = i;
        if (left < k && below(heap[left]!, heap[lowest]!)) lowest = left;
        if (left + 1 < k && below(heap[left + 1]!, heap[lowest]!)) lowest = left + 1;
        if (lowest === i) break;
        [heap[i], heap[lowest]] = [heap[lowest]!, heap[i]!];
        i = lowest;
      }
    }
  }
  return sortIndicesDesc(values, heap);
}

/**
 * The nucleus: the fewest most likely tokens whose probabilities sum to at least topP, best first. Only tokens
 * above a falling threshold are sorted: once those reach topP, the nucleus is a prefix of them.
 */
function nucleus(probs: Float32Array, candidates: readonly number[] | undefined, topP: number): number[] {
  let ordered = candidates;
  if (!ordered) {
    let maxProb = 0;
    for (const p of probs) if (p > maxProb) maxProb = p;
    for (let threshold = maxProb / 64; ; threshold /= 64) {
      const above: number[] = [];
      let mass = 0;
      for (let i = 0; i < probs.length; i++) {
        if (probs[i]! >= threshold) {
          above.push(i);
          mass += probs[i]!;
        }
      }
      if (mass >= topP || above.length === probs.length || threshold === 0) {
        ordered = sortIndicesDesc(probs, above);
        break;
      }
    }
  }
  const kept: number[] = [];
  let mass = 0;
  for (const i of ordered) {
    kept.push(i);
    mass += probs[i]!;
    if (mass >= topP) break;
  }
  return kept;
}

/**
 * Picks the next token from one sequence's (already penalised) logits: greedy, or temperature → top-k →
 * softmax → top-p → a draw from `rng`, the order Hugging Face and vLLM apply them in.
 */
export function sampleToken(logits: Float32Array, params: SamplerParams, rng: Rng): number {
  if (isGreedy(params)) return argmax(logits);
  // undefined = the whole vocabulary.
  const candidates =
    params.topK > 0 && params.topK < logits.length ? topKIndices(logits, params.topK) : undefined;
  const maxLogit = logits[candidates ? candidates[0]! : argmax(logits)]!;
  // Softmax over the candidates only; every other probability stays 0.
  const probs = new Float32Array(logits.length);
  const each = (visit: (i: number) => void) => {
    if (candidates) for (const i of candidates) visit(i);
    else for (let i = 0; i < logits.length; i++) visit(i);
  };
  let total = 0;
  each((i) => {
    const p = Math.exp((logits[i]! - maxLogit) / params.temperature);
    probs[i] = p;
    total += p;
  });
  each((i) => {
    probs[i] = probs[i]! / total;
  });
  const kept = params.topP < 1 ? nucleus(probs, candidates, params.topP) : candidates;
  let draw = rng();
  if (kept) {
    let keptMass = 0;
    for (const i of kept) keptMass += probs[i]!;
    draw *= keptMass;
    for (const i of kept) {
      draw -= probs[i]!;
      if (draw < 0) return i;
    }
    // Rounding left a sliver of mass: it belongs to the last kept token.
    return kept[kept.length - 1]!;
  }
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i]! === 0) continue;
    draw -= probs[i]!;
    last = i;
    if (draw < 0) return i;
  }
  return last;
}
