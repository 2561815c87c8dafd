import type { SamplingParams } from './generation-params.js';
import type { Rng } from './rng.js';

type SamplerParams = Pick<SamplingParams, 'doSample' | 'temperature' | 'topK' | 'topP'>;

/** do_sample false, temperature 0 and top_k 1 all mean: take the most likely token. */
function isGreedy(params: SamplerParams): boolean {
  return !params.doSample || params.temperature === 0 || params.topK === 1;
}

/** The index of the largest logit (the lowest index on ties, as torch.argmax). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestValue = logits[0]!;
  for (let i = 1; i < logits.length; i++) {
    const value = logits[i]!;
    if (value > bestValue) {
      best = i;
      bestValue = value;
    }
  }
  return best;
}

const INDEX_SPAN = 2 ** 17;

/**
 * `indices` ordered by value descending, then index ascending. A comparator sort of 32000 entries takes
 * ~10 ms; packing each float's order-preserving bits and its index into one double and sorting a Float64Array
 * natively takes a quarter of that.
 */
function sortIndicesDesc(values: Float32Array, indices: ArrayLike<number>): number[] {
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

/** Probability buckets by the top 12 bits of the float32 (exponent and 3 mantissa bits): ordered like the values. */
const BUCKET_SHIFT = 20;

/**
 * Top-p: zeroes every weight outside the nucleus, the fewest most likely tokens whose weights sum to at least
 * `threshold` (top_p × the total). Sorting a flat 32000-token distribution every step is slow, so weights are
 * bucketed by their float bits (which order like the values) and only the bucket where the sum crosses the
 * threshold is sorted.
 */
function keepNucleus(weights: Float32Array, threshold: number): void {
  const bits = new Uint32Array(weights.buffer, weights.byteOffset, weights.length);
  const mass = new Float64Array((0x7f80_0000 >>> BUCKET_SHIFT) + 1);
  for (let i = 0; i < weights.length; i++) mass[bits[i]! >>> BUCKET_SHIFT]! += weights[i]!;
  let above = 0;
  let boundary = mass.length - 1;
  while (boundary > 0 && above + mass[boundary]! < threshold) above += mass[boundary--]!;
  if (boundary === 0) return; // Rounding kept the total under the threshold: keep everything.
  const inBoundary: number[] = [];
  for (let i = 0; i < weights.length; i++) if (bits[i]! >>> BUCKET_SHIFT === boundary) inBoundary.push(i);
  // Within the boundary bucket, the most likely first until the sum reaches the threshold.
  for (const i of sortIndicesDesc(weights, inBoundary)) {
    if (above >= threshold) weights[i] = 0;
    else above += weights[i]!;
  }
  for (let i = 0; i < weights.length; i++) if (bits[i]! >>> BUCKET_SHIFT < boundary) weights[i] = 0;
}

/** A draw in proportion to unnormalised weights. */
function draw(weights: Float32Array, rng: Rng): number {
  let total = 0;
  for (const w of weights) total += w;
  let remaining = rng() * total;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    remaining -= weights[i]!;
    last = i;
    if (remaining < 0) return i;
  }
  // Rounding left a sliver of mass: it belongs to the last possible token.
  return last;
}

/**
 * Picks the next token from one sequence's (already penalised) logits: greedy, or temperature → top-k →
 * softmax → top-p → a draw from `rng`, the order Hugging Face and vLLM apply them in.
 */
export function sampleToken(logits: Float32Array, params: SamplerParams, rng: Rng): number {
  if (isGreedy(params)) return argmax(logits);
  const topK = params.topK > 0 && params.topK < logits.length ? topKIndices(logits, params.topK) : undefined;
  const maxLogit = logits[topK ? topK[0]! : argmax(logits)]!;
  // Softmax weights over the top-k (or all); every other one stays 0.
  const weights = new Float32Array(logits.length);
  let total = 0;
  const include = (i: number) => {
    const w = Math.exp((logits[i]! - maxLogit) / params.temperature);
    weights[i] = w;
    total += w;
  };
  if (topK) for (const i of topK) include(i);
  else for (let i = 0; i < logits.length; i++) include(i);
  // Left unnormalised (a pass saved): the nucleus threshold scales instead.
  if (params.topP < 1) keepNucleus(weights, params.topP * total);
  return draw(weights, rng);
}
