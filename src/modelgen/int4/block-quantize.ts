/**
 * Block-wise 4-bit quantization of a linear weight in the layout com.microsoft MatMulNBits reads: each of
 * the N output columns is cut along K into blocks of `blockSize` values, each block stored as 4-bit codes
 * (two per byte, the lower K index in the low nibble) with one scale and, when asymmetric, one zero point.
 * A value is (code − zero point) · scale; without zero points the zero point is 8.
 *
 * The weight comes in the graph's MatMul layout [K, N] (row k holds input feature k for every output), so a
 * block row of K is read sequentially and no [N, K] transpose of a 13B tensor is ever made.
 */

export interface Int4Layout {
  /** Input features: the MatMul's reduction axis. */
  k: number;
  /** Output features. */
  n: number;
  /** Values per block along K: a power of two ≥ 16 (MatMulNBits' rule). */
  blockSize: number;
}

export interface Int4Blocks extends Int4Layout {
  /** [N, blocksPerColumn, blockSize / 2] codes, two per byte, low nibble first. */
  codes: Uint8Array;
  /** [N, blocksPerColumn]. */
  scales: Float32Array;
  /** [N, ceil(blocksPerColumn / 2)] packed like codes; absent: symmetric (zero point 8). */
  zeroPoints?: Uint8Array;
}

export const SYMMETRIC_ZERO_POINT = 8;

export const blocksPerColumn = (layout: Int4Layout) => Math.ceil(layout.k / layout.blockSize);
export const zeroPointBytesPerColumn = (layout: Int4Layout) => Math.ceil(blocksPerColumn(layout) / 2);

export function validateBlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`block size must be a power of two ≥ 16, got ${blockSize}`);
  }
}

/**
 * Symmetric: the block's value of largest magnitude maps to code 0 (scale = that value / −8), so the codes use
 * the whole range −8..7 around zero point 8 (as ONNX Runtime's own quantizer does). Asymmetric: the block's
 * [min, max] (widened to include 0) spans codes 0..15 with a per-block zero point.
 */
export function quantizeInt4(weightKN: Float32Array, layout: Int4Layout, symmetric: boolean): Int4Blocks {
  const { k: K, n: N, blockSize } = layout;
  validateBlockSize(blockSize);
  if (weightKN.length !== K * N) throw new Error(`weight has ${weightKN.length} values, expected ${K}×${N}`);
  const blocks = blocksPerColumn(layout);
  const blob = blockSize / 2;
  const codes = new Uint8Array(N * blocks * blob);
  const scales = new Float32Array(N * blocks);
  const zpBytes = zeroPointBytesPerColumn(layout);
  const zeroPoints = symmetric ? undefined : new Uint8Array(N * zpBytes);
  const lo = new Float32Array(N);
  const hi = new Float32Array(N);
  const inverse = new Float32Array(N);
  const zero = new Uint8Array(N);
  const row = new Uint8Array(N * blob);
  for (let block = 0; block < blocks; block++) {
    const k0 = block * blockSize;
    const k1 = Math.min(k0 + blockSize, K);
    lo.fill(0);
    hi.fill(0);
    for (let k = k0; k < k1; k++) {
      const from = k * N;
      for (let n = 0; n < N; n++) {
        const v = weightKN[from + n]!;
        if (v < lo[n]!) lo[n] = v;
        if (v > hi[n]!) hi[n] = v;
      }
    }
    for (let n = 0; n < N; n++) {
      let scale: number;
      let zp: number;
      if (symmetric) {
        const extreme = -lo[n]! > hi[n]! ? lo[n]! : hi[n]!;
        scale = extreme / -SYMMETRIC_ZERO_POINT;
        zp = SYMMETRIC_ZERO_POINT;
      } else {
        scale = (hi[n]! - lo[n]!) / 15;
        zp = scale === 0 ? 0 : Math.min(15, Math.max(0, Math.round(-lo[n]! / scale)));
      }
      scales[n * blocks + block] = scale;
      // Quantize against the stored (float32-rounded) scale, so code × scale is what the kernel computes.
      const stored = scales[n * blocks + block]!;
      inverse[n] = stored === 0 ? 0 : 1 / stored;
      zero[n] = zp;
      if (zeroPoints) zeroPoints[n * zpBytes + (block >> 1)]! |= zp << ((block & 1) * 4);
    }
    // This block row's codes, [N, blob], two K rows (one byte per column) at a time: written in order here,
    // then copied to each column's place (writing straight into `codes` strides by a whole column per value).
    for (let j = 0; j < blockSize; j += 2) {
      const even = (k0 + j) * N;
      const odd = even + N;
      // Padding past K takes the zero point: it dequantizes to exactly 0.
      const evenInside = k0 + j < K;
      const oddInside = k0 + j + 1 < K;
      const at = j >> 1;
      for (let n = 0; n < N; n++) {
        const inv = inverse[n]!;
        const zp = zero[n]! + 0.5;
        // (y + zp + 0.5) | 0 is Math.round(y) + zp wherever the result is ≥ 0; below 0 it clamps to 0 anyway.
        const lo = evenInside ? (weightKN[even + n]! * inv + zp) | 0 : zero[n]!;
        const hi = oddInside ? (weightKN[odd + n]! * inv + zp) | 0 : zero[n]!;
        row[n * blob + at] = Math.min(15, Math.max(0, lo)) | (Math.min(15, Math.max(0, hi)) << 4);
      }
    }
    for (let n = 0; n < N; n++)
      codes.set(row.subarray(n * blob, (n + 1) * blob), (n * blocks + block) * blob);
  }
  return { ...layout, codes, scales, zeroPoints };
}

/** The weight the codes stand for, [K, N] (the reference MatMulNBits is checked against). */
export function dequantizeInt4(q: Int4Blocks): Float32Array {
  const { k: K, n: N, blockSize } = q;
  const blocks = blocksPerColumn(q);
  const blob = blockSize / 2;
  const zpBytes = zeroPointBytesPerColumn(q);
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let block = 0; block < blocks; block++) {
      const scale = q.scales[n * blocks + block]!;
      const zp = q.zeroPoints
        ? (q.zeroPoints[n * zpBytes + (block >> 1)]! >> ((block & 1) * 4)) & 15
        : SYMMETRIC_ZERO_POINT;
      for (let j = 0; j < blockSize && block * blockSize + j < K; j++) {
        const code = (q.codes[(n * blocks + block) * blob + (j >> 1)]! >> ((j & 1) * 4)) & 15;
        out[(block * blockSize + j) * N + n] = (code - zp) * scale;
      }
    }
  }
  return out;
}
