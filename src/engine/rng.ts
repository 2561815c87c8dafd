import { randomInt } from 'node:crypto';

/** A uniform draw in [0, 1). */
export type Rng = () => number;

/** splitmix32: spreads a seed's bits so that nearby seeds give unrelated streams. */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * xoshiro128** seeded from any safe integer (both 32-bit halves count): the same seed gives the same
 * stream on every platform, which is what makes `seed` reproduce a text.
 */
export function seededRng(seed: number): Rng {
  const low = seed >>> 0;
  const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
  const mix = splitmix32(low ^ Math.imul(high, 0x27d4eb2f));
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 0x1_0000_0000;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A seed for requests that give none. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 48 - 1);
}
