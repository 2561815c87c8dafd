/**
 * float32 → IEEE half-precision bits, for float16 weights. Node 20 has no Float16Array, so float16 tensors
 * travel as Uint16Array bits (what onnxruntime-node expects for 'float16' tensors); the way back is the
 * engine's float16ToFloat32.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → float16 bits, round to nearest even; overflow → ±Infinity, NaN stays NaN. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa into place, rounding to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let bits = mant >>> shift;
    if (rest > half || (rest === half && bits & 1)) bits++;
    return sign | bits;
  }
  let bits = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // Rounding may carry into the exponent, which is still the right answer (up to Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && bits & 1)) bits++;
  return sign | bits;
}

/** Bulk float32 → float16 bits; the same rounding as toFloat16Bits, inlined for the common normal range. */
export function toFloat16Array(values: Float32Array | Float64Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const source = values instanceof Float32Array ? values : Float32Array.from(values);
  const words = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let i = 0; i < words.length; i++) {
    const x = words[i]!;
    const exp = (x >>> 23) & 0xff;
    // Exponents 113..142 map to normal halves: round the mantissa to nearest even in place.
    if (exp > 112 && exp < 143) {
      const bits = (((x >>> 16) & 0x8000) | ((exp - 112) << 10) | ((x >>> 13) & 0x3ff)) >>> 0;
      const rest = x & 0x1fff;
      out[i] = rest > 0x1000 || (rest === 0x1000 && bits & 1) ? bits + 1 : bits;
    } else {
      out[i] = toFloat16Bits(source[i]!);
    }
  }
  return out;
}
