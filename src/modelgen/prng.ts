/** A small seeded PRNG (sfc32): the same seed gives the same weights on every machine. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(seed: number, stream = '') {
    // Mix the stream name into the seed so each tensor gets its own independent sequence.
    let h = (seed ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193) >>> 0;
    this.a = h;
    this.b = Math.imul(h, 0x85ebca6b) >>> 0;
    this.c = Math.imul(h ^ 0xc2b2ae35, 0x27d4eb2f) >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  private nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Fills `out` with uniform values in [-width/2, width/2): the same sfc32 steps in int32 arithmetic (no heap numbers), for billions of weights. */
  fillUniform(out: Float32Array, width: number): void {
    let a = this.a | 0;
    let b = this.b | 0;
    let c = this.c | 0;
    let d = this.d | 0;
    const scale = width / 4294967296;
    for (let i = 0; i < out.length; i++) {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      // t is the signed reading of the same 32 bits: uniform over [-2^31, 2^31).
      out[i] = t * scale;
    }
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
  }
}
