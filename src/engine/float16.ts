/** IEEE half → float for every 16-bit pattern: Node 20 has no Float16Array and ORT hands float16 as Uint16Array. */
let table: Float32Array | undefined;

function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const fraction = bits & 0x3ff;
    if (exponent === 0) table[bits] = sign * 2 ** -14 * (fraction / 1024);
    else if (exponent === 31) table[bits] = fraction === 0 ? sign * Infinity : Number.NaN;
    else table[bits] = sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return table;
}

/** float16 bits → a new float32 array. */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const lookup = halfTable();
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = lookup[halves[i]!]!;
  return out;
}
